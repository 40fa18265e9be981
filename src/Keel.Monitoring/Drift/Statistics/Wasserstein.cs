namespace Keel.Monitoring.Drift.Statistics;

/// <summary>The first Wasserstein (earth mover's) distance between two one-dimensional distributions.</summary>
internal static class Wasserstein
{
    /// <summary>Exact, between two sorted samples: ∫ |F₁(x) − F₂(x)| dx over the merged values (scipy.stats.wasserstein_distance).</summary>
    public static double Exact(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        double n1 = first.Length, n2 = second.Length;
        int i = 0, j = 0;
        var total = 0.0;
        var previous = Math.Min(first[0], second[0]);
        while (i < first.Length || j < second.Length)
        {
            var x = j >= second.Length || (i < first.Length && first[i] <= second[j]) ? first[i] : second[j];
            total += Math.Abs((i / n1) - (j / n2)) * (x - previous);
            while (i < first.Length && first[i] <= x)
            {
                i++;
            }

            while (j < second.Length && second[j] <= x)
            {
                j++;
            }

            previous = x;
        }

        return total;
    }

    /// <summary>
    /// Between a reference given by its quantiles at equal steps (linear in between) and a sorted
    /// current sample: ∫₀¹ |Q_ref(t) − Q_cur(t)| dt over the merged breakpoints, exact for that
    /// piecewise-linear reference. Against the reference's own sample the error is at most
    /// (max − min) / (grid points − 1).
    /// </summary>
    public static double FromGrid(IReadOnlyList<double> grid, ReadOnlySpan<double> current)
    {
        var step = 1.0 / (grid.Count - 1);
        double m = current.Length, total = 0, t = 0;
        int k = 0, c = 0;
        while (t < 1 && k < grid.Count - 1 && c < current.Length)
        {
            // The next breakpoint: the end of grid step k or of the current sample's step c.
            double gridEnd = (k + 1) * step, sampleEnd = (c + 1) / m;
            var end = Math.Min(gridEnd, sampleEnd);
            if (end > t)
            {
                var slope = (grid[k + 1] - grid[k]) / step;
                double a = grid[k] + (slope * (t - (k * step))) - current[c], b = grid[k] + (slope * (end - (k * step))) - current[c];
                total += (end - t) * Segment(a, b);
                t = end;
            }

            if (gridEnd <= sampleEnd)
            {
                k++;
            }

            if (sampleEnd <= gridEnd)
            {
                c++;
            }
        }

        return total;
    }

    /// <summary>The mean of |f| over an interval where f runs linearly from a to b.</summary>
    private static double Segment(double a, double b)
    {
        if ((a >= 0) == (b >= 0))
        {
            return Math.Abs(a + b) / 2;
        }

        // f crosses zero: two triangles.
        return ((a * a) + (b * b)) / (2 * (Math.Abs(a) + Math.Abs(b)));
    }
}
