using System.Buffers;
using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Chunking;

namespace Keel.Data.Versioning;

/// <summary>
/// Pack files: a window of new chunks (≤ 100 chunks, ≤ ~32 MiB) stored together in one file, whether a
/// local add wrote it or a client uploaded it (<c>POST keel/datasets/packs</c>); collection
/// deletes a pack with no chunk left and rewrites one holding freed bytes.
/// </summary>
public sealed partial class DatasetService
{
    /// <summary>
    /// Stores chunks whose hashes this process computed itself (a local add) together in one new
    /// pack file, written in one go, then records where each one is (one transaction). The pack is
    /// recorded first, so a collection running meanwhile leaves it alone.
    /// </summary>
    public async Task StorePackAsync(IReadOnlyList<ChunkBytes> chunks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            return;
        }

        var id = NewPackId();
        var located = new StoredChunk[chunks.Count];
        var segments = new ReadOnlyMemory<byte>[chunks.Count];
        var offset = 0L;
        for (var i = 0; i < chunks.Count; i++)
        {
            var (hash, bytes) = chunks[i];
            if (!DatasetManifest.IsChunkHash(hash) || bytes.Length == 0)
            {
                throw KeelException.Invalid($"Chunk hash '{hash}' is not a SHA-256 in lowercase hex, or the chunk is empty.");
            }

            located[i] = new StoredChunk(hash, bytes.Length, id, offset);
            segments[i] = bytes;
            offset += bytes.Length;
        }

        await store.RegisterPackAsync(id, offset, Now, ct);
        await using (var content = new SegmentStream(segments))
        {
            await artifacts.WriteAsync(PackPath(id), content, ct);
        }

        await store.AddPackedChunksAsync(located, Now, ct);
    }

    /// <summary>
    /// Stores an uploaded pack: <paramref name="chunkList"/> names its chunks in order
    /// (<c>hash:size,hash:size,…</c>, the <c>X-Keel-Pack</c> header) and the body is their bytes one
    /// after the other. Every chunk is checked against its hash (on all cores) before anything is
    /// written; then they go into one pack file, as a local add writes them. Returns the chunk count.
    /// </summary>
    public async Task<int> PutPackAsync(string? chunkList, Stream body, long? length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        var listed = ParsePackList(chunkList);
        var total = listed.Sum(c => c.Size);
        if (total > _options.MaxPackBytes)
        {
            throw KeelException.Invalid($"The pack's chunks add up to {total} bytes; a pack holds at most {_options.MaxPackBytes / (1024 * 1024)} MiB.");
        }

        if (length is { } announced && announced != total)
        {
            throw KeelException.Invalid($"The body is {announced} bytes long, but the chunks listed in '{PackHeader}' add up to {total}.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)total + 1);
        try
        {
            var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, (int)total + 1), (int)total + 1, throwOnEndOfStream: false, ct);
            if (read != total)
            {
                throw KeelException.Invalid(read < total
                    ? $"The body ended after {read} of the {total} bytes the chunks listed in '{PackHeader}' add up to; nothing was stored."
                    : $"The body is longer than the {total} bytes the chunks listed in '{PackHeader}' add up to; nothing was stored.");
            }

            var chunks = new ChunkBytes[listed.Count];
            var offset = 0;
            for (var i = 0; i < listed.Count; i++)
            {
                chunks[i] = new ChunkBytes(listed[i].Hash, buffer.AsMemory(offset, (int)listed[i].Size));
                offset += (int)listed[i].Size;
            }

            var actual = new string[chunks.Length];
            Parallel.For(0, chunks.Length, new ParallelOptions { CancellationToken = ct }, i => actual[i] = ChunkHash.Compute(chunks[i].Bytes.Span));
            for (var i = 0; i < chunks.Length; i++)
            {
                if (!string.Equals(actual[i], chunks[i].Hash, StringComparison.Ordinal))
                {
                    throw KeelException.Invalid($"Chunk hash mismatch: chunk {i} of the pack hashes to {actual[i]}, not {chunks[i].Hash}; nothing was stored.");
                }
            }

            await StorePackAsync(chunks, ct);
            return chunks.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The header of a pack upload that lists its chunks.</summary>
    public const string PackHeader = "X-Keel-Pack";

    private List<ChunkInfo> ParsePackList(string? chunkList)
    {
        if (string.IsNullOrWhiteSpace(chunkList))
        {
            throw KeelException.Invalid($"'{PackHeader}' is required: the pack's chunks in order, as hash:size,hash:size,…");
        }

        var parts = chunkList.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > _options.MaxChunksPerPack)
        {
            throw KeelException.Invalid($"'{PackHeader}' lists {parts.Length} chunks; a pack holds at most {_options.MaxChunksPerPack}.");
        }

        var list = new List<ChunkInfo>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].IndexOf(':', StringComparison.Ordinal);
            var hash = colon < 0 ? parts[i] : parts[i][..colon];
            if (!DatasetManifest.IsChunkHash(hash))
            {
                throw KeelException.Invalid($"'{PackHeader}' entry {i} ('{parts[i]}') does not start with a SHA-256 in lowercase hex (64 characters).");
            }

            if (colon < 0 || !int.TryParse(parts[i].AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
                || size < 1 || size > _options.MaxChunkBytes)
            {
                throw KeelException.Invalid($"'{PackHeader}' entry {i} ('{parts[i]}') needs a size after the hash: hash:size, 1 to {_options.MaxChunkBytes} bytes.");
            }

            list.Add(new ChunkInfo(hash, size));
        }

        return list;
    }

    /// <summary>
    /// Packs older than the cut-off that hold bytes no chunk uses (freed chunks, or a second copy of
    /// a chunk stored twice by adds running at once): one with no chunk left is deleted, the others
    /// rewritten with only their live chunks, each verified against its hash on the way (a pack
    /// holding a corrupted chunk is left as it is, for `get` to report).
    /// </summary>
    private async Task<(int Deleted, int Rewritten)> CollectPacksAsync(long cutoff, CancellationToken ct)
    {
        var (deleted, rewritten) = (0, 0);
        foreach (var pack in await store.FindSparsePacksAsync(cutoff, ct))
        {
            var live = await store.ListPackAsync(pack.Id, ct);
            if (live.Count > 0 && !await RewritePackAsync(pack.Id, live, ct))
            {
                continue;
            }

            if (await store.ForgetPackAsync(pack.Id, ct))
            {
                await artifacts.DeleteAsync(PackPath(pack.Id), ct);
                (deleted, rewritten) = live.Count == 0 ? (deleted + 1, rewritten) : (deleted, rewritten + 1);
            }
        }

        return (deleted, rewritten);
    }

    /// <summary>
    /// Copies a pack's live chunks (in offset order) into a new pack and points them there; false
    /// when one of them did not verify. The old pack is opened once, from its first live chunk to
    /// the end of its last, and the freed bytes between them are skipped.
    /// </summary>
    private async Task<bool> RewritePackAsync(string pack, IReadOnlyList<StoredChunk> live, CancellationToken ct)
    {
        var total = live.Sum(c => c.Size);
        var buffer = ArrayPool<byte>.Shared.Rent((int)total);
        try
        {
            var id = NewPackId();
            var moved = new StoredChunk[live.Count];
            var offset = 0;
            var start = live[0].Offset;
            await using (var stream = await artifacts.OpenReadAsync(PackPath(pack), start, live[^1].Offset + live[^1].Size - start, ct))
            {
                var position = start;
                for (var i = 0; i < live.Count; i++)
                {
                    var chunk = live[i];
                    var target = buffer.AsMemory(offset, (int)chunk.Size);
                    if (stream is null || !await ReadChunkAsync(stream, chunk.Offset - position, target, ct)
                        || !string.Equals(ChunkHash.Compute(target.Span), chunk.Hash, StringComparison.Ordinal))
                    {
                        return false;
                    }

                    position = chunk.Offset + chunk.Size;
                    moved[i] = chunk with { Pack = id, Offset = offset };
                    offset += target.Length;
                }
            }

            await store.RegisterPackAsync(id, total, Now, ct);
            await using (var content = new SegmentStream([buffer.AsMemory(0, offset)]))
            {
                await artifacts.WriteAsync(PackPath(id), content, ct);
            }

            await store.MoveChunksAsync(pack, moved, ct);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Skips <paramref name="gap"/> bytes then fills <paramref name="target"/>; false when the stream ends first.</summary>
    private static async Task<bool> ReadChunkAsync(Stream stream, long gap, Memory<byte> target, CancellationToken ct)
    {
        try
        {
            await ChunkedFileStream.SkipAsync(stream, gap, ct);
        }
        catch (IOException)
        {
            return false;
        }

        return await stream.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, ct) == target.Length;
    }

    private string NewPackId() => Guid.CreateVersion7(clock.GetUtcNow()).ToString("N");
}
