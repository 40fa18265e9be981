namespace Keel.Core.Artifacts;

/// <summary>An entry of an artifact folder; <see cref="Name"/> is relative to the folder listed.</summary>
public sealed record ArtifactEntry(string Name, bool IsDirectory, long? Size);

/// <summary>
/// Where artifact bytes live (a local folder now, S3 later). Paths are relative, '/'-separated and
/// already checked by <see cref="ArtifactPaths.Validate"/>. Bodies stream; nothing is buffered whole.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, creating parent folders; replaces atomically.</summary>
    Task WriteAsync(string path, Stream content, CancellationToken ct);

    /// <summary>Opens a file for reading; null when there is no file at the path.</summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken ct);

    /// <summary>
    /// Opens <paramref name="length"/> bytes of a file from <paramref name="offset"/> (a chunk in a
    /// pack); null when there is no file at the path. The stream ends early if the file does.
    /// </summary>
    Task<Stream?> OpenReadAsync(string path, long offset, long length, CancellationToken ct);

    /// <summary>Lists a folder; null when there is no folder at the path (a file, or nothing).</summary>
    Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string path, CancellationToken ct);

    /// <summary>Deletes a file or a whole folder; false when nothing was there.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken ct);

    /// <summary>
    /// Removes what writes under <paramref name="folder"/> left unfinished (a process killed while
    /// it wrote) when they were last touched before <paramref name="before"/>; returns how many.
    /// </summary>
    Task<int> DeleteAbandonedWritesAsync(string folder, DateTimeOffset before, CancellationToken ct);
}
