using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Keel.Data.Profiling.Internal;

/// <summary>
/// A numeric column's values as they stream past: exact count, min, max, mean and variance
/// (Welford), and the values themselves up to <see cref="ProfileOptions.MaxNumericValues"/>, after
/// which they are a uniform reservoir sample of that size (Algorithm R, fixed seed) and a
/// HyperLogLog counts the distinct ones.
/// </summary>
internal sealed class NumericAccumulator(string name, string type, ProfileOptions options)
{
    private double[] _values = ArrayPool<double>.Shared.Rent(1024);
    private int _kept;
    private long _count;
    private long _missing;
    private long _zeros;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;
    private double _mean;
    private double _m2;
    private Random? _random;
    private HyperLogLog? _distinct;

    public string Name => name;

    public void AddMissing(long count) => _missing += count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        if (double.IsNaN(value))
        {
            _missing++;
            return;
        }

        _count++;
        var delta = value - _mean;
        _mean += delta / _count;
        _m2 += delta * (value - _mean);
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }

        if (value == 0)
        {
            _zeros++;
        }

        Keep(value);
    }

    public ColumnProfile Build()
    {
        var rows = _count + _missing;
        var exact = _random is null;
        var sorted = _values.AsSpan(0, _kept);
        RadixSort.Sort(sorted);
        var distinct = exact ? CountDistinct(sorted) : _distinct!.Estimate();
        NumericProfile? numeric = null;
        if (_count > 0)
        {
            var quantiles = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var q in new[] { 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99 })
            {
                quantiles[q.ToString("0.00", CultureInfo.InvariantCulture)] = Distribution.Quantile(sorted, q);
            }

            var grid = new double[options.QuantileGridPoints];
            for (var i = 0; i < grid.Length; i++)
            {
                grid[i] = Distribution.Quantile(sorted, (double)i / (grid.Length - 1));
            }

            numeric = new NumericProfile(
                _min, _max, _mean, _count > 1 ? Math.Sqrt(_m2 / (_count - 1)) : 0, _zeros,
                quantiles,
                Scale(Distribution.EqualWidthSorted(sorted, _min, _max, options.HistogramBins)),
                Scale(Distribution.DecileBins(sorted)),
                grid, exact, sorted.Length, StepMeans(sorted, grid.Length - 1))
            {
                ValueCounts = exact && distinct <= NumericProfile.MaxValueCounts ? ValueCounts(sorted) : null,
            };
        }

        ArrayPool<double>.Shared.Return(_values);
        _values = [];
        _kept = 0;
        return new ColumnProfile(name, type, _count, _missing, rows == 0 ? 0 : (double)_missing / rows, distinct, exact, numeric, null);
    }

    /// <summary>
    /// The mean of the empirical quantile function over each of <paramref name="steps"/> equal steps
    /// of rank: step k covers ranks [k·n/steps, (k + 1)·n/steps), a value straddling a boundary
    /// counting in each step for its share.
    /// </summary>
    private static double[] StepMeans(ReadOnlySpan<double> sorted, int steps)
    {
        var means = new double[steps];
        var width = (double)sorted.Length / steps;
        for (var k = 0; k < steps; k++)
        {
            double start = k * width, end = k == steps - 1 ? sorted.Length : (k + 1) * width, sum = 0;
            for (var i = (int)Math.Floor(start); i < sorted.Length && i < end; i++)
            {
                var overlap = Math.Min(end, i + 1) - Math.Max(start, i);
                sum += sorted[i] * overlap;
            }

            means[k] = sum / (end - start);
        }

        return means;
    }

    /// <summary>Bins counted on a sample stand for the whole column: counts scaled to it.</summary>
    private Histogram Scale(Histogram bins)
    {
        if (_kept == _count)
        {
            return bins;
        }

        var factor = (double)_count / _kept;
        return bins with { Counts = bins.Counts.Select(c => (long)Math.Round(c * factor)).ToArray() };
    }

    private void Keep(double value)
    {
        if (_random is null)
        {
            if (_kept < options.MaxNumericValues)
            {
                if (_kept == _values.Length)
                {
                    var larger = ArrayPool<double>.Shared.Rent((int)Math.Min(options.MaxNumericValues, (long)_values.Length * 2));
                    _values.AsSpan(0, _kept).CopyTo(larger);
                    ArrayPool<double>.Shared.Return(_values);
                    _values = larger;
                }

                _values[_kept++] = value;
                return;
            }

            // From here on the kept values are a sample: the sketch takes over the distinct count.
            _random = new Random(0x4B45454C);
            _distinct = new HyperLogLog();
            foreach (var kept in _values.AsSpan(0, _kept))
            {
                _distinct.Add(kept);
            }
        }

        _distinct!.Add(value);
        var slot = _random.NextInt64(_count);
        if (slot < _kept)
        {
            _values[slot] = value;
        }
    }

    /// <summary>Each distinct value (as invariant round-trip text) with its count, in value order.</summary>
    private static ValueCount[] ValueCounts(ReadOnlySpan<double> sorted)
    {
        var counts = new List<ValueCount>();
        for (var start = 0; start < sorted.Length;)
        {
            var end = start + 1;
            while (end < sorted.Length && sorted[end] == sorted[start])
            {
                end++;
            }

            counts.Add(new ValueCount(sorted[start].ToString("R", CultureInfo.InvariantCulture), end - start, (double)(end - start) / sorted.Length));
            start = end;
        }

        return [.. counts];
    }

    private static long CountDistinct(ReadOnlySpan<double> sorted)
    {
        long distinct = sorted.IsEmpty ? 0 : 1;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] != sorted[i - 1])
            {
                distinct++;
            }
        }

        return distinct;
    }
}
