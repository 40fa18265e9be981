using Keel.Monitoring.Quality.Internal;

namespace Keel.Monitoring.Quality;

/// <summary>What <see cref="RegressionMetrics.Evaluate"/> found.</summary>
public sealed class RegressionReport
{
    public required int SampleCount { get; init; }

    /// <summary>√<c>mean_squared_error</c>.</summary>
    public required double Rmse { get; init; }

    /// <summary><c>mean_absolute_error</c>.</summary>
    public required double Mae { get; init; }

    /// <summary>
    /// <c>r2_score</c>: 1 − SS_res / SS_tot; with constant y_true, 1.0 for a perfect prediction and
    /// 0.0 otherwise. Null for a single sample, where scikit-learn returns NaN.
    /// </summary>
    public required double? R2 { get; init; }

    /// <summary><c>mean_absolute_percentage_error</c>: mean |y − ŷ| / max(|y|, eps), a fraction, not a percentage.</summary>
    public required double Mape { get; init; }

    /// <summary><c>rmse</c>, <c>mae</c>, <c>r2</c>, <c>mape</c> for logging as MLflow metrics; null ones left out.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ToMetrics()
    {
        var metrics = new List<KeyValuePair<string, double>> { new("rmse", Rmse), new("mae", Mae) };
        if (R2 is { } r2)
        {
            metrics.Add(new("r2", r2));
        }

        metrics.Add(new("mape", Mape));
        return metrics;
    }
}

/// <summary>Regression quality with scikit-learn 1.2 semantics (single output, no sample weights).</summary>
public static class RegressionMetrics
{
    public static RegressionReport Evaluate(IReadOnlyList<double> yTrue, IReadOnlyList<double> yPred)
    {
        Inputs.RequireSameNonEmptyLength(yTrue, nameof(yTrue), yPred, nameof(yPred));
        Inputs.RequireFinite(yTrue, nameof(yTrue));
        Inputs.RequireFinite(yPred, nameof(yPred));

        var n = yTrue.Count;
        var squared = default(NeumaierSum);
        var absolute = default(NeumaierSum);
        var percentage = default(NeumaierSum);
        var truthSum = default(NeumaierSum);
        for (var i = 0; i < n; i++)
        {
            var error = yTrue[i] - yPred[i];
            squared.Add(error * error);
            absolute.Add(Math.Abs(error));
            percentage.Add(Math.Abs(error) / Math.Max(Math.Abs(yTrue[i]), Inputs.MachineEpsilon));
            truthSum.Add(yTrue[i]);
        }

        var mean = truthSum.Value / n;
        var total = default(NeumaierSum);
        for (var i = 0; i < n; i++)
        {
            var deviation = yTrue[i] - mean;
            total.Add(deviation * deviation);
        }

        return new RegressionReport
        {
            SampleCount = n,
            Rmse = Math.Sqrt(squared.Value / n),
            Mae = absolute.Value / n,
            R2 = n < 2 ? null : R2(squared.Value, total.Value),
            Mape = percentage.Value / n,
        };
    }

    /// <summary>r2_score with force_finite=True: a zero SS_tot gives 1.0 when SS_res is also zero, else 0.0.</summary>
    private static double R2(double residual, double total) =>
        residual == 0 ? 1.0 : total == 0 ? 0.0 : 1 - (residual / total);
}
