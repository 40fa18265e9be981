using System.Security.Cryptography;
using System.Text;
using Keel.Core.Errors;
using Keel.Data.Chunking;
using Keel.Data.Chunking.Internal;

namespace Keel.Data.Tests.Chunking;

/// <summary>What the chunker promises: exact cover, true hashes, sizes in bounds, stable cuts under edits, flat memory.</summary>
public sealed class ChunkerBehaviourTests
{
    private static readonly ChunkingOptions Small = new(4 * 1024, 16 * 1024, 64 * 1024);

    // The first five default cuts of 10 MiB of `new Random(42)` bytes, recorded once: any change to the gear
    // table, the thresholds or the search moves them and fails here (it would break dedup with
    // every version already stored).
    private const string PinnedCuts = "1218329,1212793,1399129,1545333,901560";

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Task<IReadOnlyList<ChunkRef>> Chunk(byte[] data, ChunkingOptions? options = null) =>
        ContentChunker.ChunkAsync(new MemoryStream(data), options ?? Small, null, default);

    [Fact]
    public async Task Chunks_cover_the_input_exactly_with_true_hashes_and_sizes_in_bounds()
    {
        var data = Random(3 * 1024 * 1024 + 17, seed: 1);

        var chunks = await Chunk(data);

        var offset = 0L;
        foreach (var chunk in chunks)
        {
            Assert.Equal(offset, chunk.Offset);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan((int)chunk.Offset, chunk.Size))), chunk.Hash);
            Assert.InRange(chunk.Size, 1, Small.MaxSize);
            offset += chunk.Size;
        }

        Assert.Equal(data.Length, offset);
        Assert.All(chunks.Take(chunks.Count - 1), c => Assert.True(c.Size >= Small.MinSize, $"chunk at {c.Offset} has {c.Size} bytes"));
        // Content-defined cuts average near the target (not all at the maximum).
        Assert.InRange(data.Length / (double)chunks.Count, Small.MinSize, Small.MaxSize / 2.0);
    }

    [Fact]
    public async Task The_same_bytes_give_the_same_chunks_and_the_cuts_are_pinned()
    {
        var data = Random(10 * 1024 * 1024, seed: 42);

        var first = await Chunk(data, ChunkingOptions.Default);
        var second = await Chunk(data, ChunkingOptions.Default);

        Assert.Equal(first, second);
        Assert.Equal(PinnedCuts, string.Join(",", first.Take(5).Select(c => c.Size)));
        // The gear table is fixed forever: a change would make new versions share no chunk with old ones.
        Assert.Equal(256, FastCdc.Gear.Length);
        Assert.Equal(FastCdc.Gear, Internal.GearOf(0x4B45454C));
    }

    [Fact]
    public async Task Empty_and_tiny_streams()
    {
        Assert.Empty(await Chunk([]));
        var tiny = await Chunk("abc"u8.ToArray());
        var only = Assert.Single(tiny);
        Assert.Equal((0L, 3, Convert.ToHexStringLower(SHA256.HashData("abc"u8))), (only.Offset, only.Size, only.Hash));
    }

    [Fact]
    public async Task Inserting_bytes_near_the_start_leaves_the_later_chunks_unchanged()
    {
        var data = Random(20 * 1024 * 1024, seed: 3);
        var edited = data.Take(1000).Concat(Random(100, seed: 4)).Concat(data.Skip(1000)).ToArray();

        var before = (await Chunk(data, ChunkingOptions.Default)).Select(c => c.Hash).ToHashSet(StringComparer.Ordinal);
        var after = await Chunk(edited, ChunkingOptions.Default);

        Assert.True(after.Count(c => !before.Contains(c.Hash)) <= 2, $"{after.Count(c => !before.Contains(c.Hash))} of {after.Count} chunks changed");
    }

    [Fact]
    public async Task Appending_rows_to_a_csv_changes_only_the_last_chunks()
    {
        var csv = new StringBuilder("id,x,label\n");
        var random = new Random(5);
        for (var i = 0; csv.Length < 50 * 1024 * 1024; i++)
        {
            csv.Append(i).Append(',').Append(random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(",a\n");
        }

        var original = Encoding.UTF8.GetBytes(csv.ToString());
        for (var i = 0; i < 1000; i++)
        {
            csv.Append("new,").Append(i).Append(",b\n");
        }

        var appended = Encoding.UTF8.GetBytes(csv.ToString());
        var before = (await Chunk(original, ChunkingOptions.Default)).Select(c => c.Hash).ToHashSet(StringComparer.Ordinal);
        var after = await Chunk(appended, ChunkingOptions.Default);

        var newBytes = after.Where(c => !before.Contains(c.Hash)).Sum(c => (long)c.Size);
        // The last chunk (≤ 4 MiB) and the appended rows: ~2 % of 50 MB here, ~0.1 % of a 1 GB file.
        Assert.True(newBytes < 0.1 * appended.Length, $"{newBytes} of {appended.Length} bytes are in new chunks");
        Assert.InRange(after.Count(c => !before.Contains(c.Hash)), 1, 2);
    }

    [Fact]
    public async Task Callbacks_arrive_in_order_with_each_chunks_bytes()
    {
        var data = Random(2 * 1024 * 1024, seed: 6);
        var seen = new List<(ChunkRef Chunk, byte[] Bytes)>();

        var chunks = await ContentChunker.ChunkAsync(new MemoryStream(data), Small, (chunk, bytes, _) =>
        {
            seen.Add((chunk, bytes.ToArray()));
            return ValueTask.CompletedTask;
        }, default);

        Assert.Equal(chunks, seen.Select(s => s.Chunk));
        Assert.All(seen, s => Assert.Equal(data.AsSpan((int)s.Chunk.Offset, s.Chunk.Size).ToArray(), s.Bytes));
    }

    [Fact]
    public async Task A_stream_that_reads_a_few_bytes_at_a_time_gives_the_same_chunks()
    {
        var data = Random(600 * 1024, seed: 7);

        var whole = await Chunk(data);
        var trickled = await ContentChunker.ChunkAsync(new TrickleStream(data), Small, null, default);

        Assert.Equal(whole, trickled);
    }

    [Fact]
    public async Task Cancellation_stops_the_chunker()
    {
        using var stop = new CancellationTokenSource();
        var calls = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ContentChunker.ChunkAsync(new MemoryStream(Random(4 * 1024 * 1024, 8)), Small, (_, _, _) =>
        {
            if (++calls == 3)
            {
                stop.Cancel();
            }

            return ValueTask.CompletedTask;
        }, stop.Token));

        Assert.Equal(3, calls);
    }

    [Fact]
    public void Sizes_out_of_order_are_refused_naming_the_field()
    {
        var error = Assert.Throws<KeelException>(() => ContentChunker.ChunkAsync(new MemoryStream([1]), new ChunkingOptions(4096, 3000, 8192), null, default).GetAwaiter().GetResult());
        Assert.Contains("'AverageSize'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Returns 1–7 bytes per read.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 1 + (_position % 7)), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The gear table's documented recipe (SplitMix64 from the seed), rebuilt here independently.</summary>
    private static class Internal
    {
        public static ulong[] GearOf(ulong seed)
        {
            var table = new ulong[256];
            var state = seed;
            for (var i = 0; i < table.Length; i++)
            {
                state += 0x9E3779B97F4A7C15UL;
                var z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                table[i] = z ^ (z >> 31);
            }

            return table;
        }
    }
}
