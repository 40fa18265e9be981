namespace Keel.Monitoring.Drift.Statistics;

/// <summary>
/// The two-proportion Z-test Evidently applies to features with at most two values: the share of
/// rows that are not the first category (in sort order: numerically when every category reads as a
/// number, else ordinal) in the reference against the current data, with the pooled share in the
/// standard error; two-sided p = 2·(1 − Φ(|z|)) = erfc(|z|/√2). Both sides holding the same single
/// value is no evidence of drift (p = 1).
/// </summary>
internal static class ProportionsZTest
{
    public static (double Z, double P) Test(IReadOnlyList<string> categories, IReadOnlyList<long> reference, IReadOnlyList<long> current)
    {
        double n1 = reference.Sum(), n2 = current.Sum();
        var present = Enumerable.Range(0, categories.Count).Where(i => reference[i] + current[i] > 0).ToList();
        if (present.Count <= 1 || n1 == 0 || n2 == 0)
        {
            return (0, 1);
        }

        var numeric = present.All(i => double.TryParse(categories[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        var first = numeric
            ? present.MinBy(i => double.Parse(categories[i], System.Globalization.CultureInfo.InvariantCulture))
            : present.MinBy(i => categories[i], StringComparer.Ordinal);
        var p1 = (n1 - reference[first]) / n1;
        var p2 = (n2 - current[first]) / n2;
        var pooled = ((p1 * n1) + (p2 * n2)) / (n1 + n2);
        var z = (p1 - p2) / Math.Sqrt(pooled * (1 - pooled) * ((1 / n1) + (1 / n2)));
        // erfc(x) = Q(1/2, x²), the regularized upper incomplete gamma function.
        var x = Math.Abs(z) / Math.Sqrt(2);
        return (z, SpecialFunctions.UpperRegularizedGamma(0.5, x * x));
    }
}
