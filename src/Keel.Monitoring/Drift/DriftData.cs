using System.Globalization;
using Keel.Data.Profiling;
using Keel.Data.Profiling.Internal;
using Keel.Tabular;

namespace Keel.Monitoring.Drift;

/// <summary>
/// One side of a drift comparison: the values of each column (a <see cref="Table"/>: a file, a
/// window of the inference log) or, for a reference only, a stored <see cref="TableProfile"/>
/// (a dataset version's), whose quantile grid and decile bins stand in for the values.
/// </summary>
public sealed class DriftData
{
    private readonly Dictionary<string, FeatureData> _features;

    private DriftData(long rowCount, IEnumerable<FeatureData> features, bool isProfile, IEnumerable<string>? names = null)
    {
        RowCount = rowCount;
        var list = features.ToList();
        var keys = names?.ToList() ?? [.. list.Select(f => f.Name)];
        _features = new Dictionary<string, FeatureData>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            _features[keys[i]] = list[i];
        }

        Columns = [.. _features.Keys];
        IsProfile = isProfile;
    }


    public long RowCount { get; }

    /// <summary>Column names, in the source's order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>True when the values are summarised by a profile rather than held.</summary>
    public bool IsProfile { get; }

    internal FeatureData? this[string name] => _features.GetValueOrDefault(name);

    /// <summary>The same data with column <paramref name="existing"/> also reachable as <paramref name="alias"/> (a reference's label column standing for the current target or prediction).</summary>
    internal DriftData WithAlias(string existing, string alias) =>
        this[existing] is { } feature && this[alias] is null
            ? new DriftData(RowCount, _features.Values.Append(feature), IsProfile, _features.Keys.Append(alias))
            : this;

    /// <summary>The smallest and largest present value of a numeric column; null for text or an empty column.</summary>
    internal (double Min, double Max)? Range(string name) => this[name] switch
    {
        NumericSample { Sorted.Length: > 0 } s => (s.Sorted[0], s.Sorted[^1]),
        NumericSketch { Count: > 0 } k => (k.Profile.Min, k.Profile.Max),
        _ => null,
    };

    /// <summary>True for numbers, false for text, null when the column is absent.</summary>
    internal bool? IsNumeric(string name) => this[name] switch
    {
        null => null,
        CategoricalSample => false,
        _ => true,
    };

    /// <summary>The share of a numeric column's present values outside [min, max]; null for text or no values.</summary>
    internal double? ShareOutside(string name, double min, double max)
    {
        if (this[name] is not NumericSample { Sorted.Length: > 0 } sample)
        {
            return null;
        }

        var sorted = sample.Sorted;
        var below = FirstAtOrAbove(sorted, min);
        var atOrBelowMax = LastAtOrBelow(sorted, max) + 1;
        return (below + (sorted.Length - atOrBelowMax)) / (double)sorted.Length;
    }

    private static int FirstAtOrAbove(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            (low, high) = sorted[middle] < value ? (middle + 1, high) : (low, middle);
        }

        return low;
    }

    private static int LastAtOrBelow(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            (low, high) = sorted[middle] <= value ? (middle + 1, high) : (low, middle);
        }

        return low - 1;
    }

    /// <summary>Takes the named columns (all when null) of a table: numbers sorted, categories counted (several columns in parallel).</summary>
    public static DriftData FromTable(Table table, IEnumerable<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var chosen = (columns ?? table.ColumnNames).Select(name => table[name]).ToArray();
        var features = new FeatureData[chosen.Length];
        Parallel.For(0, chosen.Length, i => features[i] = FromColumn(chosen[i]));
        return new DriftData(table.RowCount, features, isProfile: false);
    }

    /// <summary>A reference summarised by a profile: numbers by their quantile grid and decile bins, categories by their counts.</summary>
    public static DriftData FromProfile(TableProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var features = profile.Columns.Select(FeatureData (c) => c.Numeric is { } numeric
            ? new NumericSketch(c.Name, numeric, c.Count, c.Missing)
            : new CategoricalSample(
                c.Name,
                CategoryCounts(c),
                c.Missing,
                c.Categorical is { Exact: true, Categories: not null }));
        return new DriftData(profile.RowCount, features, isProfile: true);
    }

    private static Dictionary<string, long> CategoryCounts(ColumnProfile column)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (column.Categorical is not { } categorical)
        {
            return counts;
        }

        foreach (var value in categorical.Categories ?? categorical.TopValues)
        {
            counts[value.Value] = value.Count;
        }

        // Without the full list, what the top values leave out is one bin of its own.
        var rest = column.Count - counts.Values.Sum();
        if (categorical.Categories is null && rest > 0)
        {
            counts[CategoricalSample.Other] = rest;
        }

        return counts;
    }

    private static FeatureData FromColumn(Column column)
    {
        if (column.IsNumeric)
        {
            var values = new double[column.Length];
            var kept = 0;
            if (column is DoubleColumn doubles)
            {
                foreach (var value in doubles.Values.AsSpan(0, column.Length))
                {
                    values[kept] = value;
                    kept += double.IsNaN(value) ? 0 : 1;
                }
            }
            else
            {
                for (var row = 0; row < column.Length; row++)
                {
                    var value = column.GetDouble(row);
                    values[kept] = value;
                    kept += double.IsNaN(value) ? 0 : 1;
                }
            }

            Array.Resize(ref values, kept);
            RadixSort.Sort(values);
            return new NumericSample(column.Name, values, column.Length - kept);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long missing = 0;
        for (var row = 0; row < column.Length; row++)
        {
            if (column.GetString(row) is { } value)
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
            else
            {
                missing++;
            }
        }

        return new CategoricalSample(column.Name, counts, missing, exact: true);
    }
}

/// <summary>One column's values on one side.</summary>
internal abstract class FeatureData(string name, long missing)
{
    public string Name => name;

    public long Missing => missing;

    public abstract long Count { get; }
}

/// <summary>A numeric column's present values, sorted.</summary>
internal sealed class NumericSample(string name, double[] sorted, long missing) : FeatureData(name, missing)
{
    public double[] Sorted => sorted;

    public override long Count => sorted.Length;

    /// <summary>The distinct values, up to <paramref name="limit"/> + 1 of them.</summary>
    public HashSet<double> Distinct(int limit)
    {
        var distinct = new HashSet<double>();
        for (var i = 0; i < sorted.Length && distinct.Count <= limit; i++)
        {
            distinct.Add(sorted[i]);
        }

        return distinct;
    }

    public CategoricalSample AsCategories()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var value in sorted)
        {
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            counts[text] = counts.GetValueOrDefault(text) + 1;
        }

        return new CategoricalSample(Name, counts, Missing, exact: true);
    }
}

/// <summary>A numeric column known by its profile: quantile grid, decile bins, mean and deviation.</summary>
internal sealed class NumericSketch(string name, NumericProfile profile, long count, long missing) : FeatureData(name, missing)
{
    public NumericProfile Profile => profile;

    public override long Count => count;
}

/// <summary>A categorical column's counts per value (exact, or from a profile's top values with the rest in one bin).</summary>
internal sealed class CategoricalSample(string name, Dictionary<string, long> counts, long missing, bool exact) : FeatureData(name, missing)
{
    /// <summary>The bin of the values a profile's top-values list leaves out.</summary>
    public const string Other = "(other)";

    public Dictionary<string, long> Counts => counts;

    public bool Exact => exact;

    public override long Count => counts.Values.Sum();
}
