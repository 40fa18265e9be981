using System.Buffers;
using System.Threading.Channels;

namespace Keel.Data.Chunking.Internal;

/// <summary>
/// The chunker's pipeline: one task reads the stream into large pooled blocks and finds the cuts
/// (<see cref="FastCdc"/>), the thread pool hashes finished chunks in parallel, and the caller's task
/// hands them out in stream order, one at a time.
/// </summary>
/// <remarks>
/// <para>
/// Why this shape: SHA-256 (OpenSSL with SHA-NI) runs at 1.5–2 GB/s a core and the boundary search
/// at several GB/s, so a chunker doing both on one thread stops well below the 1 GB/s goal of
/// <c>keel data add</c>. Here the search thread hands each chunk to the pool as soon as it is cut and
/// goes on searching; hashes of several chunks run at once on the other cores.
/// </para>
/// <para>
/// Memory: a block is <c>max(2 × MaxSize, 4 MiB)</c> and at most <see cref="Blocks"/> are rented at a
/// time (24 MiB with the default 4 MiB maximum), whatever the stream length. A chunk is always
/// contiguous: when a block ends inside a chunk, the chunk's bytes so far (less than MaxSize) move to the
/// start of the next block. A block goes back to the pool once every chunk cut from it has been hashed
/// and handed out; after a failure, blocks a hash may still read are left to the garbage collector
/// rather than returned.
/// </para>
/// </remarks>
internal sealed class ChunkPipeline
{
    /// <summary>Blocks rented at once: one being read and searched, the others being hashed and handed out.</summary>
    public const int Blocks = 3;

    private const int MinBlockSize = 4 * 1024 * 1024;

    // Read at least this much before searching again, so a stream that returns a few bytes per read
    // does not pay a search (and its warm-up) per read.
    private const int MinRead = 1024 * 1024;

    private readonly Stream _input;
    private readonly CutPoints _cuts;
    private readonly bool _hash;
    private readonly int _blockSize;
    private readonly SemaphoreSlim _freeBlocks = new(Blocks, Blocks);
    private readonly Channel<Job> _jobs;

    private ChunkPipeline(Stream input, ChunkingOptions options, bool hash)
    {
        _input = input;
        _cuts = FastCdc.For(options);
        _hash = hash;
        _blockSize = Math.Max(2 * options.MaxSize, MinBlockSize);

        // Enough chunks in flight for every core to hash one while the next ones are cut; blocks bound the memory.
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(Math.Max(4, 2 * Environment.ProcessorCount))
        {
            SingleReader = true,
            SingleWriter = true,
        });
    }

    /// <summary>Chunks <paramref name="input"/>; with <paramref name="hash"/> false every <see cref="ChunkRef.Hash"/> is empty.</summary>
    public static async Task<IReadOnlyList<ChunkRef>> RunAsync(Stream input, ChunkingOptions options,
        Func<ChunkRef, ReadOnlyMemory<byte>, CancellationToken, ValueTask>? onChunk, bool hash, CancellationToken ct)
    {
        var pipeline = new ChunkPipeline(input, options, hash);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() => pipeline.ProduceAsync(stop.Token), CancellationToken.None);
        var chunks = new List<ChunkRef>();
        try
        {
            var reader = pipeline._jobs.Reader;
            while (await reader.WaitToReadAsync(ct))
            {
                while (reader.TryRead(out var job))
                {
                    ct.ThrowIfCancellationRequested();
                    var chunk = new ChunkRef(await job.Hash, job.Offset, job.Length);
                    if (onChunk is not null)
                    {
                        await onChunk(chunk, job.Block.Bytes.AsMemory(job.Start, job.Length), ct);
                    }

                    chunks.Add(chunk);
                    pipeline.Release(job.Block);
                }
            }
        }
        catch
        {
            // The producer may be waiting for a free block or a free slot that will never come.
            await stop.CancelAsync();
            try
            {
                await producer;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Its failure is the consequence of this one.
            }

            throw;
        }

        await producer;
        return chunks;
    }

    private async Task ProduceAsync(CancellationToken ct)
    {
        try
        {
            var block = await RentAsync(ct);
            var start = 0;      // where the current chunk starts in the block
            var filled = 0;     // bytes of the block holding data
            var next = 0;       // first position of the current chunk not searched yet
            var offset = 0L;    // stream offset of the current chunk
            var end = false;
            while (true)
            {
                if (filled - start > 0 || end)
                {
                    var cut = filled == start ? 0 : FastCdc.FindCut(block.Bytes.AsSpan(start, filled - start), ref next, end, _cuts);
                    if (cut > 0)
                    {
                        await PostAsync(block, start, cut, offset, ct);
                        start += cut;
                        offset += cut;
                        next = 0;
                        continue;
                    }

                    if (end)
                    {
                        break;
                    }
                }

                if (filled == _blockSize)
                {
                    // The block ends inside a chunk (shorter than MaxSize, so less than half a block):
                    // it moves to the start of a new block.
                    var fresh = await RentAsync(ct);
                    block.Bytes.AsSpan(start, filled - start).CopyTo(fresh.Bytes);
                    filled -= start;
                    start = 0;
                    Release(block);
                    block = fresh;
                }

                var space = _blockSize - filled;
                var read = await _input.ReadAtLeastAsync(block.Bytes.AsMemory(filled, space), Math.Min(space, MinRead), throwOnEndOfStream: false, ct);
                filled += read;
                end = read < Math.Min(space, MinRead);
            }

            Release(block);
        }
        finally
        {
            _jobs.Writer.TryComplete();
        }
    }

    private async ValueTask PostAsync(Block block, int start, int length, long offset, CancellationToken ct)
    {
        Interlocked.Increment(ref block.Users);
        var hash = _hash ? Task.Run(() => ChunkHash.Compute(block.Bytes.AsSpan(start, length)), CancellationToken.None) : Task.FromResult(string.Empty);
        await _jobs.Writer.WriteAsync(new Job(block, start, length, offset, hash), ct);
    }

    private async ValueTask<Block> RentAsync(CancellationToken ct)
    {
        await _freeBlocks.WaitAsync(ct);
        return new Block(ArrayPool<byte>.Shared.Rent(_blockSize));
    }

    private void Release(Block block)
    {
        if (Interlocked.Decrement(ref block.Users) == 0)
        {
            ArrayPool<byte>.Shared.Return(block.Bytes);
            _freeBlocks.Release();
        }
    }

    /// <summary>A rented block and how many hold it: the producer while it reads into it, plus one per chunk not yet handed out.</summary>
    private sealed class Block(byte[] bytes)
    {
        public readonly byte[] Bytes = bytes;
        public int Users = 1;
    }

    private readonly record struct Job(Block Block, int Start, int Length, long Offset, Task<string> Hash);
}
