using Keel.Data.Chunking.Internal;

namespace Keel.Data.Chunking;

/// <summary>
/// Cuts streams into content-defined chunks (FastCDC) and names each by its SHA-256, so that the same
/// bytes make the same chunks wherever they sit in a file: an edit or an append changes only the
/// chunks it touches, and unchanged chunks are stored once across versions.
/// </summary>
public static class ContentChunker
{
    // Reads go straight into the chunker's blocks (larger than this buffer), so FileStream's own
    // buffer is bypassed; SequentialScan lets the kernel read ahead aggressively.
    private const int FileBufferSize = 1024 * 1024;

    /// <summary>
    /// Reads <paramref name="input"/> once, front to back, with memory bounded by a few maximum-size
    /// chunks whatever the stream length, cuts it with FastCDC and hashes every chunk (boundary search
    /// and hashing run on different threads at once).
    /// </summary>
    /// <param name="input">The stream, read from its current position to its end; not disposed.</param>
    /// <param name="options">The chunk sizes (<see cref="ChunkingOptions.Default"/> for datasets).</param>
    /// <param name="onChunk">
    /// Called once per chunk, strictly in stream order and never concurrently, with the chunk's bytes —
    /// valid only until the returned <see cref="ValueTask"/> completes (copy them to keep them).
    /// Reading and hashing go on meanwhile, as far as the memory bound allows. Null to only list chunks.
    /// </param>
    /// <param name="ct">Stops reading, hashing and calling back.</param>
    /// <returns>Every chunk in stream order: none for an empty stream, one for a stream shorter than <see cref="ChunkingOptions.MinSize"/>.</returns>
    /// <exception cref="Keel.Core.Errors.KeelException"><paramref name="options"/> break a rule of <see cref="ChunkingOptions"/>.</exception>
    public static Task<IReadOnlyList<ChunkRef>> ChunkAsync(Stream input, ChunkingOptions options,
        Func<ChunkRef, ReadOnlyMemory<byte>, CancellationToken, ValueTask>? onChunk, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return ChunkPipeline.RunAsync(input, options, onChunk, hash: true, ct);
    }

    /// <summary>
    /// <see cref="ChunkAsync"/> over the file at <paramref name="path"/>, opened for sequential reading.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">The chunk sizes (<see cref="ChunkingOptions.Default"/> for datasets).</param>
    /// <param name="onChunk">As for <see cref="ChunkAsync"/>: in order, one at a time, bytes valid until the returned task completes.</param>
    /// <param name="ct">Stops reading, hashing and calling back.</param>
    /// <returns>Every chunk of the file in order.</returns>
    public static async Task<IReadOnlyList<ChunkRef>> ChunkFileAsync(string path, ChunkingOptions options,
        Func<ChunkRef, ReadOnlyMemory<byte>, CancellationToken, ValueTask>? onChunk, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        await using var file = OpenSequential(path);
        return await ChunkPipeline.RunAsync(file, options, onChunk, hash: true, ct);
    }

    /// <summary>
    /// The boundaries alone, every <see cref="ChunkRef.Hash"/> empty: what the search costs without
    /// SHA-256 (benchmarks, tests).
    /// </summary>
    internal static Task<IReadOnlyList<ChunkRef>> FindBoundariesAsync(Stream input, ChunkingOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return ChunkPipeline.RunAsync(input, options, onChunk: null, hash: false, ct);
    }

    internal static FileStream OpenSequential(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
}
