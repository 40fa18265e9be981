namespace Keel.Core.Datasets;

/// <summary>
/// Durable dataset metadata: datasets, versions, and the chunks they reference (the bytes live in
/// the artifact store). Chunks are claimed before a version references them, so a garbage
/// collection running beside an add never frees what the add is about to reference.
/// </summary>
public interface IDatasetStore
{
    /// <summary>
    /// The hashes among <paramref name="hashes"/> the store does not hold; the ones it holds are
    /// marked claimed at <paramref name="now"/> (a collection spares chunks claimed after its cut-off).
    /// </summary>
    Task<IReadOnlyList<string>> ClaimChunksAsync(IReadOnlyList<string> hashes, long now, CancellationToken ct);

    /// <summary>Records a chunk whose bytes were just written (claimed at <paramref name="now"/>); a no-op when it is known.</summary>
    Task AddChunkAsync(ChunkInfo chunk, long now, CancellationToken ct);

    /// <summary>
    /// Records a pack file before its bytes are written (<paramref name="size"/> bytes, created at
    /// <paramref name="now"/>): a collection leaves packs younger than its cut-off alone, so a pack
    /// whose chunks are not recorded yet is not taken for garbage.
    /// </summary>
    Task RegisterPackAsync(string pack, long size, long now, CancellationToken ct);

    /// <summary>
    /// Records chunks just written into a pack, in one transaction (claimed at <paramref name="now"/>).
    /// A chunk already known keeps its location: its copy in this pack is dead bytes a collection rewrites away.
    /// </summary>
    Task AddPackedChunksAsync(IReadOnlyList<StoredChunk> chunks, long now, CancellationToken ct);

    /// <summary>Where a chunk's bytes are; null when the store does not know the chunk.</summary>
    Task<StoredChunk?> FindChunkAsync(string hash, CancellationToken ct);

    /// <summary>Packs created before <paramref name="createdBefore"/> whose chunks use fewer bytes than the pack holds.</summary>
    Task<IReadOnlyList<PackUsage>> FindSparsePacksAsync(long createdBefore, CancellationToken ct);

    /// <summary>The chunks recorded in a pack, by offset.</summary>
    Task<IReadOnlyList<StoredChunk>> ListPackAsync(string pack, CancellationToken ct);

    /// <summary>
    /// Points chunks at their copies in another pack (<paramref name="moved"/> holds the new pack and
    /// offsets), each only while it is still recorded in <paramref name="from"/>; the number moved.
    /// </summary>
    Task<int> MoveChunksAsync(string from, IReadOnlyList<StoredChunk> moved, CancellationToken ct);

    /// <summary>Forgets a pack no chunk is recorded in any more; true when it was forgotten and its file may be deleted.</summary>
    Task<bool> ForgetPackAsync(string pack, CancellationToken ct);

    /// <summary>
    /// Stores <paramref name="version"/> (numbered next in its dataset, which is created when new)
    /// referencing <paramref name="chunks"/>, all of which must be known: otherwise nothing is stored
    /// and the missing hashes are returned. When the dataset already holds this id the existing
    /// version is returned (restored if it was deleted) and nothing new is stored.
    /// </summary>
    Task<DatasetVersionResult> CreateVersionAsync(DatasetVersion version, IReadOnlyCollection<string> chunks, CancellationToken ct);

    Task<VersionedDataset?> GetDatasetAsync(string name, CancellationToken ct);

    /// <summary>Datasets whose name contains <paramref name="nameContains"/> (all when null), by name.</summary>
    Task<IReadOnlyList<VersionedDataset>> ListDatasetsAsync(string? nameContains, CancellationToken ct);

    /// <summary>The dataset's versions, newest first; deleted ones only when asked.</summary>
    Task<IReadOnlyList<DatasetVersion>> ListVersionsAsync(string name, bool includeDeleted, CancellationToken ct);

    /// <summary>
    /// A version by its full id, a unique id prefix (at least 4 characters) or its number; null when none.
    /// An ambiguous prefix is an error naming the candidates.
    /// </summary>
    Task<DatasetVersion?> FindVersionAsync(string name, string reference, CancellationToken ct);

    /// <summary>Marks a version deleted (its chunks become collectable unless a run used it); false when there is none.</summary>
    Task<bool> DeleteVersionAsync(string name, string id, CancellationToken ct);

    /// <summary>Records a version's row count and schema once its tables are profiled after the commit.</summary>
    Task<bool> SetTableInfoAsync(string name, string id, long? rowCount, string? schema, CancellationToken ct);

    /// <summary>Marks every version of the dataset deleted and removes the dataset; false when there is none.</summary>
    Task<bool> DeleteDatasetAsync(string name, CancellationToken ct);

    /// <summary>
    /// Chunks no live version references — a version is live unless deleted, and a deleted one
    /// stays live while a run's inputs name it (digest = version id) — and not claimed since
    /// <paramref name="claimedBefore"/>. At most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<StoredChunk>> FindGarbageAsync(long claimedBefore, int limit, CancellationToken ct);

    /// <summary>
    /// Forgets a chunk if it is still garbage by the rules of <see cref="FindGarbageAsync"/> (checked
    /// again in the same transaction); true when it was forgotten and its bytes may be deleted.
    /// </summary>
    Task<bool> ForgetChunkAsync(string hash, long claimedBefore, CancellationToken ct);

    /// <summary>The runs whose inputs name the version (digest = version id), oldest first.</summary>
    Task<IReadOnlyList<string>> FindRunsUsingAsync(string versionId, CancellationToken ct);
}

/// <summary>The outcome of <see cref="IDatasetStore.CreateVersionAsync"/>.</summary>
/// <param name="Version">The stored (or existing) version; null when chunks were missing.</param>
/// <param name="Created">False when the dataset already held this content.</param>
/// <param name="MissingChunks">Referenced chunks the store does not hold (then nothing was stored).</param>
public sealed record DatasetVersionResult(DatasetVersion? Version, bool Created, IReadOnlyList<string> MissingChunks);
