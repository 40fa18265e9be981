using Keel.Data.Validation;

namespace Keel.Monitoring.Drift.Statistics;

/// <summary>PSI and the Jensen–Shannon distance over bin counts, with the fixtures' clipping of empty bins.</summary>
internal static class DivergenceMeasures
{
    public const double MinShare = DriftStatistics.MinShare;

    /// <summary>Σ (q − p) ln(q / p) over shares clipped below at 1e-4 (the validation suites' PSI: one code path).</summary>
    public static double Psi(IReadOnlyList<long> reference, IReadOnlyList<long> current) => DriftStatistics.Psi(reference, current);

    /// <summary>
    /// scipy.spatial.distance.jensenshannon with the natural log: shares clipped below at 1e-4, then
    /// renormalised; the square root of the mean Kullback–Leibler divergence from their midpoint.
    /// </summary>
    public static double JensenShannon(IReadOnlyList<long> reference, IReadOnlyList<long> current)
    {
        var p = ClippedShares(reference);
        var q = ClippedShares(current);
        var divergence = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var m = (p[i] + q[i]) / 2;
            divergence += (p[i] * Math.Log(p[i] / m)) + (q[i] * Math.Log(q[i] / m));
        }

        return Math.Sqrt(Math.Max(0, divergence / 2));
    }

    private static double[] ClippedShares(IReadOnlyList<long> counts)
    {
        double total = counts.Sum();
        var shares = counts.Select(c => Math.Max(c / total, MinShare)).ToArray();
        var clippedTotal = shares.Sum();
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] /= clippedTotal;
        }

        return shares;
    }
}
