using System.Numerics;

namespace Keel.Data.Profiling.Internal;

/// <summary>
/// HyperLogLog with 2^14 one-byte registers (16 KiB): a distinct count with a standard error of
/// 1.04 / sqrt(2^14) = 0.81 %, and linear counting below 2.5 × 2^14. Adding a value twice changes
/// nothing, so values seen before the sketch started can be added late.
/// </summary>
internal sealed class HyperLogLog
{
    private const int Precision = 14;
    private const int RegisterCount = 1 << Precision;

    private readonly byte[] _registers = new byte[RegisterCount];

    public void Add(double value) => AddHash(Mix(BitConverter.DoubleToInt64Bits(value == 0 ? 0d : value)));

    public void Add(string value)
    {
        // FNV-1a over the UTF-16 code units, then a 64-bit finaliser: stable across processes.
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        AddHash(Mix((long)hash));
    }

    public long Estimate()
    {
        double sum = 0;
        var zeros = 0;
        foreach (var register in _registers)
        {
            sum += Math.ScaleB(1, -register);
            zeros += register == 0 ? 1 : 0;
        }

        const double alpha = 0.7213 / (1 + (1.079 / RegisterCount));
        var estimate = alpha * RegisterCount * RegisterCount / sum;
        if (estimate <= 2.5 * RegisterCount && zeros > 0)
        {
            estimate = RegisterCount * Math.Log((double)RegisterCount / zeros);
        }

        return (long)Math.Round(estimate);
    }

    private void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rank = (byte)(BitOperations.LeadingZeroCount((hash << Precision) | (1UL << (Precision - 1))) + 1);
        if (rank > _registers[index])
        {
            _registers[index] = rank;
        }
    }

    private static ulong Mix(long value)
    {
        var z = (ulong)value + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
