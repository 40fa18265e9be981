namespace Keel.Data.Validation;

/// <summary>
/// The distribution statistics suites check against a reference profile. PSI follows the fixtures'
/// definition (bin shares clipped below at 1e-4, Σ (q − p) ln(q / p)); the KS statistic here is read
/// off the two profiles' quantile grids, so it is within one grid step (0.005 for 201 points) of the
/// exact two-sample statistic.
/// </summary>
public static class DriftStatistics
{
    public const double MinShare = 1e-4;

    /// <summary>PSI between bin counts of the reference (<paramref name="expected"/>) and of the current data.</summary>
    public static double Psi(IReadOnlyList<long> expected, IReadOnlyList<long> actual)
    {
        double expectedTotal = expected.Sum(), actualTotal = actual.Sum();
        if (expectedTotal == 0 || actualTotal == 0)
        {
            return double.NaN;
        }

        double psi = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            var p = Math.Max(expected[i] / expectedTotal, MinShare);
            var q = Math.Max(actual[i] / actualTotal, MinShare);
            psi += (q - p) * Math.Log(q / p);
        }

        return psi;
    }

    /// <summary>PSI over categories: one bin per category seen on either side.</summary>
    public static double Psi(IReadOnlyList<Profiling.ValueCount> reference, IReadOnlyList<Profiling.ValueCount> current)
    {
        var categories = reference.Select(v => v.Value).Union(current.Select(v => v.Value), StringComparer.Ordinal).ToList();
        var referenceCounts = reference.ToDictionary(v => v.Value, v => v.Count, StringComparer.Ordinal);
        var currentCounts = current.ToDictionary(v => v.Value, v => v.Count, StringComparer.Ordinal);
        return Psi(
            categories.Select(c => referenceCounts.GetValueOrDefault(c)).ToList(),
            categories.Select(c => currentCounts.GetValueOrDefault(c)).ToList());
    }

    /// <summary>The largest distance between the two distributions' CDFs, each given by quantiles at equal steps from 0 to 1.</summary>
    public static double KolmogorovSmirnov(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count < 2 || current.Count < 2)
        {
            return double.NaN;
        }

        var largest = 0.0;
        foreach (var x in reference.Concat(current))
        {
            largest = Math.Max(largest, Math.Abs(Cdf(reference, x) - Cdf(current, x)));
        }

        return largest;
    }

    /// <summary>The share of values ≤ x, from quantiles at equal steps (linear between grid points).</summary>
    private static double Cdf(IReadOnlyList<double> grid, double x)
    {
        if (x < grid[0])
        {
            return 0;
        }

        if (x >= grid[^1])
        {
            return 1;
        }

        int low = 0, high = grid.Count - 1;
        while (high - low > 1)
        {
            var middle = (low + high) >>> 1;
            if (grid[middle] <= x)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        var step = 1.0 / (grid.Count - 1);
        var span = grid[high] - grid[low];
        return (low * step) + (span > 0 ? (x - grid[low]) / span * step : step);
    }
}
