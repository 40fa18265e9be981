namespace Keel.Core.Datasets;

/// <summary>A named series of dataset versions.</summary>
public sealed record VersionedDataset(string Name, string? Description, long CreationTime, long LastUpdatedTime, int VersionCount, string? LatestVersion);

/// <summary>
/// One version of a dataset: its content is the manifest whose hash is <see cref="Id"/>; the
/// same bytes always give the same id. <see cref="Number"/> counts the dataset's versions (1, 2, …).
/// </summary>
/// <param name="Schema">For tabular content: `[{"name", "type"}]` of the (first) table, as JSON; null otherwise.</param>
public sealed record DatasetVersion(
    string Dataset,
    string Id,
    int Number,
    string? Message,
    string? Author,
    long CreationTime,
    long SizeBytes,
    int FileCount,
    long? RowCount,
    string? Schema,
    bool Deleted);

/// <summary>One stored chunk: its SHA-256 (lowercase hex) and length.</summary>
public sealed record ChunkInfo(string Hash, long Size);

/// <summary>
/// Where a stored chunk's bytes are: a file of its own (<see cref="Pack"/> null, the layout of
/// chunks uploaded one by one) or <see cref="Size"/> bytes at <see cref="Offset"/> of a pack file
/// (what a local add writes: many chunks per file).
/// </summary>
public sealed record StoredChunk(string Hash, long Size, string? Pack = null, long Offset = 0);

/// <summary>A pack file and how many of its bytes chunks still use (less than its size once some were freed, or stored twice).</summary>
public sealed record PackUsage(string Id, long Size, long LiveBytes);

/// <summary>
/// What a garbage collection freed (or, in a dry run, would free): chunks and their bytes, chunks
/// spared (claimed meanwhile), and pack files deleted (no chunk left) or rewritten with only their live chunks.
/// </summary>
public sealed record GcReport(int ChunksDeleted, long BytesFreed, int ChunksKept, bool DryRun, int PacksDeleted = 0, int PacksRewritten = 0);
