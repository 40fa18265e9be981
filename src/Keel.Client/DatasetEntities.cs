using System.Text.Json;

namespace Keel.Client;

/// <summary>A named series of dataset versions.</summary>
/// <param name="Name">The dataset's name.</param>
/// <param name="CreationTime">Milliseconds since the Unix epoch.</param>
/// <param name="LastUpdatedTime">Milliseconds since the Unix epoch of the last new version.</param>
/// <param name="VersionCount">Versions that are not deleted.</param>
/// <param name="LatestVersion">The newest version's id, if any.</param>
public sealed record DatasetInfo(string Name, long CreationTime, long LastUpdatedTime, int VersionCount, string? LatestVersion)
{
    internal static DatasetInfo Read(JsonElement e) => new(
        e.GetProperty("name").GetString()!, e.GetProperty("creation_time").GetInt64(), e.GetProperty("last_updated_time").GetInt64(),
        e.GetProperty("version_count").GetInt32(), e.TryGetProperty("latest_version", out var latest) ? latest.GetString() : null);
}

/// <summary>One version of a dataset.</summary>
/// <param name="Name">The dataset.</param>
/// <param name="Id">The hash of the version's manifest (32 hex characters): the same content always has the same id.</param>
/// <param name="Number">1 for the dataset's first version, 2 for the next, …</param>
/// <param name="Message">What the author said about it.</param>
/// <param name="Author">Who added it.</param>
/// <param name="CreationTime">Milliseconds since the Unix epoch.</param>
/// <param name="SizeBytes">Total size of its files.</param>
/// <param name="FileCount">How many files it holds.</param>
/// <param name="RowCount">Rows of its tabular files, when it has any.</param>
/// <param name="Source">`keel://datasets/NAME@ID`, the source runs record in their inputs.</param>
/// <param name="Deleted">True once removed (kept while a run used it).</param>
public sealed record DatasetVersionInfo(
    string Name, string Id, int Number, string? Message, string? Author, long CreationTime, long SizeBytes, int FileCount, long? RowCount,
    string Source, bool Deleted)
{
    internal static DatasetVersionInfo Read(JsonElement e) => new(
        e.GetProperty("name").GetString()!, e.GetProperty("id").GetString()!, e.GetProperty("number").GetInt32(),
        e.TryGetProperty("message", out var m) ? m.GetString() : null, e.TryGetProperty("author", out var a) ? a.GetString() : null,
        e.GetProperty("creation_time").GetInt64(), e.GetProperty("size_bytes").GetInt64(), e.GetProperty("file_count").GetInt32(),
        e.TryGetProperty("row_count", out var rows) ? rows.GetInt64() : null, e.GetProperty("source").GetString()!,
        e.GetProperty("deleted").GetBoolean());
}

/// <summary>One file of a version: its path inside the version, its size, and its chunks (SHA-256 and length) in order.</summary>
public sealed record DatasetFileInfo(string Path, long Size, IReadOnlyList<(string Hash, long Size)> Chunks);

/// <summary>A version with its files and the runs whose inputs name it.</summary>
public sealed record DatasetVersionDetails(DatasetVersionInfo Version, IReadOnlyList<DatasetFileInfo> Files, IReadOnlyList<string> Runs);

/// <summary>What an add did.</summary>
/// <param name="Version">The version (an existing one when the content was already there).</param>
/// <param name="Created">False when the dataset already held this content: nothing new was stored.</param>
/// <param name="Chunks">Chunks the content has.</param>
/// <param name="ChunksUploaded">Chunks the store did not have, sent now.</param>
/// <param name="BytesUploaded">Their bytes.</param>
public sealed record DatasetAddResult(DatasetVersionInfo Version, bool Created, int Chunks, int ChunksUploaded, long BytesUploaded);

/// <summary>Progress of an add or a get: bytes done of the total.</summary>
public readonly record struct DatasetProgress(long BytesDone, long BytesTotal, string File);

/// <summary>What a garbage collection freed (or would free, in a dry run).</summary>
public sealed record DatasetGcResult(int ChunksDeleted, long BytesFreed, int ChunksKept, bool DryRun, int PacksDeleted = 0, int PacksRewritten = 0);

/// <summary>How one file differs between two versions.</summary>
/// <param name="Path">The file's path inside the versions.</param>
/// <param name="Change"><c>added</c>, <c>removed</c> or <c>changed</c>.</param>
/// <param name="OldSize">Its size in the first version (null when added).</param>
/// <param name="NewSize">Its size in the second version (null when removed).</param>
/// <param name="NewBytes">Bytes of the second version's file in chunks the first version's file does not have.</param>
public sealed record DatasetFileChange(string Path, string Change, long? OldSize, long? NewSize, long NewBytes);

/// <summary>What differs between two versions, file by file; unchanged files are counted, not listed.</summary>
public sealed record DatasetDiff(DatasetVersionInfo From, DatasetVersionInfo To, IReadOnlyList<DatasetFileChange> Changes, int Unchanged)
{
    /// <summary>Each tabular file of either version compared by its profiles: rows, columns added and removed, how each column's statistics moved.</summary>
    public IReadOnlyList<Keel.Data.Profiling.TableDiff> Tables { get; init; } = [];
}
