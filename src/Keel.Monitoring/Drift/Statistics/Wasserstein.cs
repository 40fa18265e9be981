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

    /// <summary>The number of equal rank cells <see cref="FromGrid"/> integrates over (at most one per current value).</summary>
    public const int Cells = 1 << 16;

    /// <summary>
    /// Between a reference known by its quantile grid (and, when the profile has them, the mean of
    /// each step between grid points) and a sorted current sample: ∫₀¹ |Q_ref(t) − Q_cur(t)| dt.
    /// Within a grid step the reference's quantile function is taken as g_k + Δ·u^α, the power
    /// curve through both grid points whose mean is the step's mean (α = 1, a straight line, without
    /// means), so its integral over every step is exact. The integral is summed over
    /// <see cref="Cells"/> equal rank cells as |∫Q_ref − ∫Q_cur| per cell, the current side exact
    /// from prefix sums: exact wherever the two quantile functions do not cross inside a step; in
    /// the worst case off by (max − min) / (grid points − 1).
    /// </summary>
    public static double FromGrid(double[] grid, double[]? means, double[] current)
    {
        var steps = grid.Length - 1;
        var stepWidth = 1.0 / steps;
        var exponents = new double[steps];
        var stepIntegrals = new double[steps + 1]; // ∫₀^{t_k} Q_ref
        for (var k = 0; k < steps; k++)
        {
            var delta = grid[k + 1] - grid[k];
            var share = means is null || delta <= 0 ? 0.5 : Math.Clamp((means[k] - grid[k]) / delta, 1e-9, 1 - 1e-9);
            exponents[k] = (1 / share) - 1;
            stepIntegrals[k + 1] = stepIntegrals[k] + (stepWidth * (grid[k] + (delta * share)));
        }

        double ReferenceIntegral(double t)
        {
            var k = Math.Min((int)(t * steps), steps - 1);
            var u = Math.Clamp((t - (k * stepWidth)) / stepWidth, 0, 1);
            var alpha = exponents[k];
            return stepIntegrals[k] + (stepWidth * ((grid[k] * u) + ((grid[k + 1] - grid[k]) * Math.Pow(u, alpha + 1) / (alpha + 1))));
        }

        // ∫₀^t Q_cur for the empirical quantile function of the current sample, from prefix sums.
        var n = current.Length;
        var prefix = new double[n + 1];
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + current[i];
        }

        double CurrentIntegral(double t)
        {
            var position = t * n;
            var whole = Math.Min((int)position, n);
            return (prefix[whole] + (whole < n ? (position - whole) * current[whole] : 0)) / n;
        }

        var cells = Math.Min(Cells, n);
        double total = 0, previousReference = 0, previousCurrent = 0;
        for (var j = 1; j <= cells; j++)
        {
            var t = (double)j / cells;
            double reference = j == cells ? stepIntegrals[steps] : ReferenceIntegral(t), sample = j == cells ? prefix[n] / n : CurrentIntegral(t);
            total += Math.Abs((reference - previousReference) - (sample - previousCurrent));
            (previousReference, previousCurrent) = (reference, sample);
        }

        return total;
    }
}
