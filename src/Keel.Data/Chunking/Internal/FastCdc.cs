using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Keel.Data.Chunking.Internal;

/// <summary>
/// FastCDC boundary search (Xia et al., "FastCDC: a Fast and Efficient Content-Defined Chunking
/// Approach", USENIX ATC 2016, and IEEE TPDS 2020): a gear rolling hash, normalized chunking at
/// level 2 and no cut looked for in the first <see cref="ChunkingOptions.MinSize"/> bytes.
/// </summary>
/// <remarks>
/// <para>
/// The hash deciding whether a chunk may end just before position <c>p</c> is the gear hash of the 64
/// bytes before <c>p</c>: <c>H(p) = Σ_{j=1..64} Gear[data[p-j]] &lt;&lt; (j-1)</c> (mod 2^64), which is
/// what <c>hash = (hash &lt;&lt; 1) + Gear[b]</c> yields once 64 bytes went through it, since older bytes
/// are shifted out. A cut is allowed where the top bits of <c>H(p)</c> are zero (<c>H(p) &lt; threshold</c>):
/// the top bits mix all 64 bytes of the window, the low ones only the last few. Normalized chunking
/// (level 2): below <see cref="ChunkingOptions.AverageSize"/> = 2^b, log2 + 2 = b + 2 bits must be zero
/// (a stricter test), from there on b − 2 bits (a looser one), which pulls chunk sizes towards the average.
/// </para>
/// <para>
/// Because <c>H(p)</c> depends on nothing but those 64 bytes (and <c>MinSize &gt;= 64</c> keeps them inside
/// the chunk), a cut depends only on the chunk's own bytes — never on how the stream was read — and the
/// search can run several independent lanes over a range at once: the hash is a chain of dependent
/// shift-and-adds (two cycles a byte), and four interleaved chains keep the core busy instead of waiting.
/// </para>
/// <para>
/// Everything here is frozen: the table, the window, the thresholds and the order of the tests define
/// where chunks are cut, and a change would make new versions share no chunks with old ones.
/// <c>ChunkingFormatTests</c> pins table values and the cuts of a fixed input.
/// </para>
/// </remarks>
internal static class FastCdc
{
    /// <summary>Bytes of content the hash at a position covers.</summary>
    public const int Window = 64;

    /// <summary>Seed of the gear table: "KEEL" in ASCII.</summary>
    public const ulong GearSeed = 0x4B45454C;

    private const int Lanes = 4;

    // Positions searched per lane and round: long enough to pay for each lane's 64-byte warm-up
    // (0.8 %), short enough that little is searched past a cut (half a round on average).
    private const int LaneLength = 8 * 1024;

    // Below this many positions the four lanes are not worth their warm-ups.
    private const int MinLaneSearch = Lanes * 256;

    /// <summary>
    /// The 256 gear values: SplitMix64 (Steele, Lea and Flood 2014; the generator of
    /// java.util.SplittableRandom) from <see cref="GearSeed"/>, one output per byte value in order.
    /// </summary>
    public static readonly ulong[] Gear = CreateGear();

    /// <summary>The thresholds for <paramref name="options"/> (validated).</summary>
    public static CutPoints For(ChunkingOptions options)
    {
        var bits = BitOperations.Log2((uint)options.AverageSize);
        return new CutPoints(options.MinSize, options.AverageSize, options.MaxSize,
            Small: 1UL << (64 - (bits + 2)), Large: 1UL << (64 - (bits - 2)));
    }

    /// <summary>
    /// The length of the chunk that starts at <c>chunk[0]</c>, or -1 when more bytes are needed.
    /// <paramref name="chunk"/> holds the bytes available from the chunk's start; <paramref name="next"/>
    /// is the first position not searched yet (0 for a new chunk) and is advanced, so a call with more
    /// bytes resumes where the last one stopped. With <paramref name="end"/> (the stream has no more
    /// bytes), a chunk without a cut ends with the data.
    /// </summary>
    public static int FindCut(ReadOnlySpan<byte> chunk, ref int next, bool end, in CutPoints cuts)
    {
        var length = chunk.Length;

        // Positions p < length can be tested: H(p) reads bytes before p only. Position Max is a cut anyway.
        var stop = Math.Min(length, cuts.Max);
        var from = Math.Max(next, cuts.Min);
        if (from < stop)
        {
            var strictStop = Math.Min(stop, cuts.Average);
            if (from < strictStop)
            {
                var cut = FindFirst(chunk, from, strictStop, cuts.Small);
                if (cut >= 0)
                {
                    return cut;
                }

                from = strictStop;
            }

            if (from < stop)
            {
                var cut = FindFirst(chunk, from, stop, cuts.Large);
                if (cut >= 0)
                {
                    return cut;
                }
            }
        }

        next = Math.Max(next, stop);
        if (length >= cuts.Max)
        {
            return cuts.Max;
        }

        return end ? length : -1;
    }

    /// <summary>
    /// The first position <c>p</c> in [<paramref name="from"/>, <paramref name="to"/>) where
    /// <c>H(p) &lt; threshold</c>, or -1. Needs <c>from &gt;= 64</c> and <c>to &lt;= data.Length</c>.
    /// </summary>
    public static int FindFirst(ReadOnlySpan<byte> data, int from, int to, ulong threshold)
    {
        if (from < Window || to > data.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"The search [{from}, {to}) needs {Window} bytes before it and must end within the {data.Length} bytes.");
        }

        ref var bytes = ref MemoryMarshal.GetReference(data);
        while (to - from >= MinLaneSearch)
        {
            var lane = Math.Min(LaneLength, (to - from) / Lanes);
            var cut = SearchLanes(ref bytes, from, lane, threshold);
            if (cut >= 0)
            {
                return cut;
            }

            from += Lanes * lane;
        }

        return from < to ? SearchOne(ref bytes, from, to, threshold) : -1;
    }

    /// <summary>Searches [from, from + 4 * lane) as four lanes of <paramref name="lane"/> positions each.</summary>
    /// <remarks>
    /// Compiled fully optimised at once: the search is the chunker's critical path, and in a
    /// short-lived CLI process tiered compilation would run it for most of a 1 GB add in its
    /// profiling-instrumented tier (half the speed; the instrumentation's own helper is another 9 %).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SearchLanes(ref byte bytes, int from, int lane, ulong threshold)
    {
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ref var b0 = ref Unsafe.Add(ref bytes, from);
        ref var b1 = ref Unsafe.Add(ref b0, lane);
        ref var b2 = ref Unsafe.Add(ref b1, lane);
        ref var b3 = ref Unsafe.Add(ref b2, lane);
        var h0 = WarmUp(ref b0);
        var h1 = WarmUp(ref b1);
        var h2 = WarmUp(ref b2);
        var h3 = WarmUp(ref b3);

        // A later lane's cut counts only if no earlier lane has one: remember it and go on.
        var found = int.MaxValue;
        for (nint i = 0; i < lane; i++)
        {
            // One branch for the four tests (non-short-circuit |): a hit is rare.
            if ((h0 < threshold) | (h1 < threshold) | (h2 < threshold) | (h3 < threshold))
            {
                if (h0 < threshold)
                {
                    return from + (int)i;
                }

                var at = h1 < threshold ? 1 : h2 < threshold ? 2 : 3;
                found = Math.Min(found, from + (at * lane) + (int)i);
            }

            h0 = (h0 << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b0, i));
            h1 = (h1 << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b1, i));
            h2 = (h2 << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b2, i));
            h3 = (h3 << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref b3, i));
        }

        return found == int.MaxValue ? -1 : found;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SearchOne(ref byte bytes, int from, int to, ulong threshold)
    {
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        var h = WarmUp(ref Unsafe.Add(ref bytes, from));
        for (var p = from; p < to; p++)
        {
            if (h < threshold)
            {
                return p;
            }

            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, p));
        }

        return -1;
    }

    /// <summary>H at <paramref name="position"/>: the hash of the 64 bytes before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WarmUp(ref byte position)
    {
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ref var window = ref Unsafe.Subtract(ref position, Window);
        var h = 0UL;
        for (nint i = 0; i < Window; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref window, i));
        }

        return h;
    }

    private static ulong[] CreateGear()
    {
        var table = new ulong[256];
        var state = GearSeed;
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

/// <summary>
/// The cut rule of one <see cref="ChunkingOptions"/>: sizes, and the thresholds H must be under to
/// cut before (<see cref="Small"/>, b + 2 zero top bits) and from (<see cref="Large"/>, b − 2) the average size 2^b.
/// </summary>
internal readonly record struct CutPoints(int Min, int Average, int Max, ulong Small, ulong Large);
