using System.Buffers;
using Keel.Data.Chunking;

namespace Keel.Data.Versioning;

/// <summary>
/// The sending half of an add: new chunks are held in a bounded window (100 chunks or 32 MiB), the
/// store is asked which of them it lacks (which also claims the ones it has against garbage
/// collection), and those are handed to the store together — one pack file per window, whether
/// the store is a server (one request) or the local folder — while the next window fills, so the
/// chunker does not wait for the round trips. Memory is two windows whatever the file size.
/// </summary>
/// <param name="missing">Which of these hashes the store lacks (claiming the rest).</param>
/// <param name="store">Stores a window's new chunks (in one pack).</param>
public sealed class ChunkWindow(
    Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlyCollection<string>>> missing,
    Func<IReadOnlyList<ChunkBytes>, CancellationToken, Task> store)
{
    // 100 chunks: a folder of small files goes in a few requests, and the upload's chunk list
    // (`X-Keel-Pack`, ~73 bytes a chunk) stays under the 8 KB a proxy such as nginx allows a header.
    private const int MaxChunks = 100;
    private const long MaxBytes = 32L * 1024 * 1024;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private List<(string Hash, byte[] Bytes, int Size)> _window = [];
    private long _windowBytes;

    // The previous window's query and uploads run while this one fills (two windows at most).
    private Task _sending = Task.CompletedTask;

    /// <summary>Chunks the store lacked and received.</summary>
    public int ChunksStored { get; private set; }

    /// <summary>Their bytes.</summary>
    public long BytesStored { get; private set; }

    /// <summary>Takes a chunk (its bytes are copied); a chunk seen before in this add is skipped.</summary>
    public async ValueTask AddAsync(ChunkRef chunk, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (!_seen.Add(chunk.Hash))
        {
            return;
        }

        var copy = ArrayPool<byte>.Shared.Rent(chunk.Size);
        bytes.Span.CopyTo(copy);
        _window.Add((chunk.Hash, copy, chunk.Size));
        _windowBytes += chunk.Size;
        if (_window.Count >= MaxChunks || _windowBytes >= MaxBytes)
        {
            await _sending;
            _sending = SendAsync(TakeWindow(), ct);
        }
    }

    /// <summary>Sends what is held and waits for every send; call once after the last chunk.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _sending;
        _sending = Task.CompletedTask;
        await SendAsync(TakeWindow(), ct);
    }

    private List<(string Hash, byte[] Bytes, int Size)> TakeWindow()
    {
        var window = _window;
        _window = [];
        _windowBytes = 0;
        return window;
    }

    private async Task SendAsync(List<(string Hash, byte[] Bytes, int Size)> window, CancellationToken ct)
    {
        if (window.Count == 0)
        {
            return;
        }

        try
        {
            var lacking = (await missing([.. window.Select(c => c.Hash)], ct)).ToHashSet(StringComparer.Ordinal);
            var sends = window.Where(c => lacking.Contains(c.Hash)).ToList();
            await store([.. sends.Select(c => new ChunkBytes(c.Hash, c.Bytes.AsMemory(0, c.Size)))], ct);
            ChunksStored += sends.Count;
            BytesStored += sends.Sum(c => (long)c.Size);
        }
        finally
        {
            foreach (var (_, bytes, _) in window)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }
}
