using System.Buffers;
using System.Runtime.CompilerServices;

namespace Keel.Data.Profiling.Internal;

/// <summary>
/// Sorts doubles (no NaN) by their IEEE bits mapped to order-preserving unsigned keys, with a
/// least-significant-digit radix sort in four 16-bit passes: linear in the count, several times
/// faster than a comparison sort on the million-value columns profiles sort.
/// </summary>
internal static class RadixSort
{
    private const int Small = 4096;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sort(Span<double> values)
    {
        if (values.Length <= Small)
        {
            values.Sort();
            return;
        }

        var rentedKeys = ArrayPool<ulong>.Shared.Rent(values.Length);
        var rentedOther = ArrayPool<ulong>.Shared.Rent(values.Length);
        var keys = rentedKeys.AsSpan(0, values.Length);
        var other = rentedOther.AsSpan(0, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var bits = (ulong)BitConverter.DoubleToInt64Bits(values[i] == 0 ? 0d : values[i]);
            keys[i] = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
        }

        var counts = new int[1 << 16];
        for (var shift = 0; shift < 64; shift += 16)
        {
            Array.Clear(counts);
            foreach (var key in keys)
            {
                counts[(int)((key >> shift) & 0xFFFF)]++;
            }

            // A pass where every key has the same digit moves nothing.
            if (counts[(int)((keys[0] >> shift) & 0xFFFF)] == keys.Length)
            {
                continue;
            }

            var total = 0;
            for (var digit = 0; digit < counts.Length; digit++)
            {
                var count = counts[digit];
                counts[digit] = total;
                total += count;
            }

            foreach (var key in keys)
            {
                other[counts[(int)((key >> shift) & 0xFFFF)]++] = key;
            }

            var swap = keys;
            keys = other;
            other = swap;
        }

        for (var i = 0; i < values.Length; i++)
        {
            var key = keys[i];
            var bits = (key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key;
            values[i] = BitConverter.Int64BitsToDouble((long)bits);
        }

        ArrayPool<ulong>.Shared.Return(rentedKeys);
        ArrayPool<ulong>.Shared.Return(rentedOther);
    }
}
