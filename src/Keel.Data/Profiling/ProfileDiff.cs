using System.Text.Json.Serialization;

namespace Keel.Data.Profiling;

/// <summary>How one column's statistics moved between two profiles (null where a side lacks the statistic).</summary>
public sealed record ColumnChange(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type_before")] string TypeBefore,
    [property: JsonPropertyName("type_after")] string TypeAfter,
    [property: JsonPropertyName("missing_share_before")] double MissingShareBefore,
    [property: JsonPropertyName("missing_share_after")] double MissingShareAfter,
    [property: JsonPropertyName("distinct_before")] long DistinctBefore,
    [property: JsonPropertyName("distinct_after")] long DistinctAfter,
    [property: JsonPropertyName("mean_before")] double? MeanBefore,
    [property: JsonPropertyName("mean_after")] double? MeanAfter,
    [property: JsonPropertyName("std_before")] double? StdBefore,
    [property: JsonPropertyName("std_after")] double? StdAfter,
    [property: JsonPropertyName("min_before")] double? MinBefore,
    [property: JsonPropertyName("min_after")] double? MinAfter,
    [property: JsonPropertyName("max_before")] double? MaxBefore,
    [property: JsonPropertyName("max_after")] double? MaxAfter,
    [property: JsonPropertyName("psi")] double? Psi,
    [property: JsonPropertyName("new_categories")] IReadOnlyList<string>? NewCategories,
    [property: JsonPropertyName("lost_categories")] IReadOnlyList<string>? LostCategories);

/// <summary>The change of one tabular file between two versions: rows, columns added and removed, and each shared column's statistics.</summary>
public sealed record TableDiff(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("rows_before")] long? RowsBefore,
    [property: JsonPropertyName("rows_after")] long? RowsAfter,
    [property: JsonPropertyName("columns_added")] IReadOnlyList<string> ColumnsAdded,
    [property: JsonPropertyName("columns_removed")] IReadOnlyList<string> ColumnsRemoved,
    [property: JsonPropertyName("columns")] IReadOnlyList<ColumnChange> Columns)
{
    /// <summary>Every tabular file of two versions (by path, in ordinal order), each compared as <see cref="Compare"/> does.</summary>
    public static IReadOnlyList<TableDiff> CompareAll(IReadOnlyDictionary<string, TableProfile> before, IReadOnlyDictionary<string, TableProfile> after) =>
        [.. before.Keys.Union(after.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(path => Compare(path, before.GetValueOrDefault(path), after.GetValueOrDefault(path)))];

    /// <summary>
    /// Compares two profiles of a file (either may be null: the file was added or removed). PSI of a
    /// numeric column is over the earlier profile's deciles, with the later side's bin shares read
    /// off its quantile grid; of a categorical column, over the categories of both.
    /// </summary>
    public static TableDiff Compare(string path, TableProfile? before, TableProfile? after)
    {
        var old = before?.Columns ?? [];
        var next = after?.Columns ?? [];
        var changes = new List<ColumnChange>();
        foreach (var a in old)
        {
            if (next.FirstOrDefault(c => c.Name == a.Name) is not { } b)
            {
                continue;
            }

            IReadOnlyList<string>? added = null, lost = null;
            double? psi = null;
            if (a.Categorical?.Categories is { } ca && b.Categorical?.Categories is { } cb)
            {
                added = cb.Select(c => c.Value).Except(ca.Select(c => c.Value), StringComparer.Ordinal).ToList();
                lost = ca.Select(c => c.Value).Except(cb.Select(c => c.Value), StringComparer.Ordinal).ToList();
                psi = Validation.DriftStatistics.Psi(ca, cb);
            }
            else if (a.Numeric is { } na && b.Numeric is { } nb)
            {
                psi = Validation.DriftStatistics.Psi(na.Deciles.Counts, SharesFromGrid(nb.QuantileGrid, na.Deciles.Edges, b.Count));
            }

            changes.Add(new ColumnChange(
                a.Name, a.Type, b.Type, a.MissingShare, b.MissingShare, a.Distinct, b.Distinct,
                a.Numeric?.Mean, b.Numeric?.Mean, a.Numeric?.Std, b.Numeric?.Std, a.Numeric?.Min, b.Numeric?.Min,
                a.Numeric?.Max, b.Numeric?.Max, psi is { } p && double.IsFinite(p) ? p : null, added, lost));
        }

        return new TableDiff(
            path, before?.RowCount, after?.RowCount,
            next.Select(c => c.Name).Except(old.Select(c => c.Name), StringComparer.Ordinal).ToList(),
            old.Select(c => c.Name).Except(next.Select(c => c.Name), StringComparer.Ordinal).ToList(),
            changes);
    }

    /// <summary>Counts per bin estimated from quantiles at equal steps: the CDF difference across each bin, times the count.</summary>
    private static long[] SharesFromGrid(IReadOnlyList<double> grid, IReadOnlyList<double> edges, long count)
    {
        var counts = new long[edges.Count - 1];
        if (grid.Count < 2 || edges.Count < 2)
        {
            return counts;
        }

        double Cdf(double x)
        {
            if (x < grid[0])
            {
                return 0;
            }

            var below = 0;
            while (below < grid.Count && grid[below] < x)
            {
                below++;
            }

            return (double)below / grid.Count;
        }

        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = (long)Math.Round((Cdf(edges[i + 1]) - Cdf(edges[i])) * count);
        }

        counts[^1] = Math.Max(0, count - counts[..^1].Sum());
        return counts;
    }
}
