using Keel.Monitoring.Quality.Internal;

namespace Keel.Monitoring.Quality;

/// <summary>
/// Binary ranking metrics over a score, as scikit-learn 1.2 computes them: the curve has one point
/// per distinct score (ties form one step), built like <c>sklearn.metrics._ranking._binary_clf_curve</c>.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// Area under the ROC curve: <c>roc_auc_score</c> (= <c>auc(roc_curve(...))</c>, the trapezoid over
    /// distinct thresholds, so tied scores count half). Null when <paramref name="isPositive"/> holds
    /// only one class, where scikit-learn raises "Only one class present in y_true".
    /// </summary>
    public static double? RocAuc(IReadOnlyList<bool> isPositive, IReadOnlyList<double> scores)
    {
        var curve = Curve(isPositive, scores);
        var positives = curve.TruePositives[^1];
        var negatives = curve.FalsePositives[^1];
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        // The trapezoids have integer corners (fp, tp) scaled by 1/N and 1/P, so twice the area times
        // P·N is an integer: summing it exactly leaves a single rounding at the end. roc_curve's
        // drop_intermediate only removes collinear points, which does not change the area.
        Int128 doubled = 0;
        long previousTp = 0;
        long previousFp = 0;
        for (var i = 0; i < curve.TruePositives.Length; i++)
        {
            var tp = curve.TruePositives[i];
            var fp = curve.FalsePositives[i];
            doubled += (Int128)(fp - previousFp) * (tp + previousTp);
            previousTp = tp;
            previousFp = fp;
        }

        return (double)doubled / (2.0 * positives * negatives);
    }

    /// <summary>
    /// <c>average_precision_score</c>: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct thresholds, not interpolated.
    /// Null when there is no positive sample (recall is undefined; scikit-learn 1.2 warns and returns 0).
    /// </summary>
    public static double? AveragePrecision(IReadOnlyList<bool> isPositive, IReadOnlyList<double> scores)
    {
        var curve = Curve(isPositive, scores);
        double positives = curve.TruePositives[^1];
        if (positives == 0)
        {
            return null;
        }

        var sum = default(NeumaierSum);
        long previousTp = 0;
        for (var i = 0; i < curve.TruePositives.Length; i++)
        {
            var tp = curve.TruePositives[i];
            var fp = curve.FalsePositives[i];
            var recall = tp / positives;
            var previousRecall = previousTp / positives;
            sum.Add((recall - previousRecall) * ((double)tp / (tp + fp)));
            previousTp = tp;
        }

        return sum.Value;
    }

    /// <summary>Cumulative true and false positives at each distinct score, highest score first.</summary>
    private static (long[] TruePositives, long[] FalsePositives) Curve(IReadOnlyList<bool> isPositive, IReadOnlyList<double> scores)
    {
        Inputs.RequireSameNonEmptyLength(isPositive, nameof(isPositive), scores, nameof(scores));
        Inputs.RequireFinite(scores, nameof(scores));

        var keys = new double[scores.Count];
        var order = new int[scores.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = scores[i];
            order[i] = i;
        }

        // Ascending sort, read backwards. The order inside a run of equal scores does not matter:
        // only the counts at the end of each run become curve points.
        Array.Sort(keys, order);
        var tps = new List<long>();
        var fps = new List<long>();
        long tpCount = 0;
        long fpCount = 0;
        for (var i = keys.Length - 1; i >= 0; i--)
        {
            if (isPositive[order[i]])
            {
                tpCount++;
            }
            else
            {
                fpCount++;
            }

            // -0.0 == 0.0 here as in NumPy's diff, so both zeros share a threshold.
            if (i == 0 || keys[i - 1] != keys[i])
            {
                tps.Add(tpCount);
                fps.Add(fpCount);
            }
        }

        return (tps.ToArray(), fps.ToArray());
    }
}
