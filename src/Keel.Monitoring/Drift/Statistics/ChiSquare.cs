namespace Keel.Monitoring.Drift.Statistics;

/// <summary>
/// Pearson's chi-square goodness-of-fit test of the current category counts against the counts the
/// reference shares predict (scipy.stats.chisquare): expected = reference share, clipped below at
/// 1e-4 and renormalised, times the current count; k − 1 degrees of freedom.
/// </summary>
internal static class ChiSquare
{
    public static (double Statistic, double PValue) Test(IReadOnlyList<long> reference, IReadOnlyList<long> current)
    {
        double referenceTotal = reference.Sum(), currentTotal = current.Sum();
        var shares = reference.Select(c => Math.Max(c / referenceTotal, DivergenceMeasures.MinShare)).ToArray();
        var shareTotal = shares.Sum();
        var statistic = 0.0;
        for (var i = 0; i < shares.Length; i++)
        {
            var expected = shares[i] / shareTotal * currentTotal;
            var difference = current[i] - expected;
            statistic += difference * difference / expected;
        }

        // One category leaves no degree of freedom: the samples cannot differ, so no evidence of drift.
        var freedom = shares.Length - 1;
        return freedom == 0 ? (0, 1) : (statistic, SpecialFunctions.UpperRegularizedGamma(freedom / 2.0, statistic / 2));
    }
}
