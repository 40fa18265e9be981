using Keel.Core.Errors;
using Keel.Monitoring.Quality;
using static Keel.Monitoring.Tests.Quality.QualityFixtures;

namespace Keel.Monitoring.Tests.Quality;

public sealed class RegressionMetricsTests
{
    [Fact]
    public void Regression_metrics_match_scikit_learn_on_the_shared_fixture()
    {
        var rows = ReadCsv("regression_predictions.csv");
        var expected = Expected("regression");

        var report = RegressionMetrics.Evaluate(rows.Select(r => Number(r["y_true"])).ToList(), rows.Select(r => Number(r["y_pred"])).ToList());

        var metrics = report.ToMetrics();
        Assert.Equal(["rmse", "mae", "r2", "mape"], metrics.Select(m => m.Key));
        foreach (var (name, value) in metrics)
        {
            Close(expected.GetProperty(name).GetDouble(), value, name);
        }

        Assert.Equal(expected.EnumerateObject().Count(), metrics.Count);
    }

    [Fact]
    public void Hand_computed_values_for_one_wrong_prediction()
    {
        var report = RegressionMetrics.Evaluate([1, 2, 3, 4], [1, 2, 3, 5]);

        Assert.Equal(0.5, report.Rmse);
        Assert.Equal(0.25, report.Mae);
        Assert.Equal(0.8, report.R2!.Value, 15);
        Assert.Equal(0.0625, report.Mape);
    }

    [Fact]
    public void R2_with_constant_truth_is_one_when_perfect_and_zero_otherwise()
    {
        Assert.Equal(1.0, RegressionMetrics.Evaluate([3, 3, 3], [3, 3, 3]).R2);
        Assert.Equal(0.0, RegressionMetrics.Evaluate([3, 3, 3], [3, 3, 4]).R2);
    }

    [Fact]
    public void R2_of_a_single_sample_is_left_out_rather_than_nan()
    {
        var report = RegressionMetrics.Evaluate([2], [3]);

        Assert.Null(report.R2);
        Assert.Equal(["rmse", "mae", "mape"], report.ToMetrics().Select(m => m.Key));
    }

    [Fact]
    public void Mape_divides_by_machine_epsilon_when_the_truth_is_zero()
    {
        Assert.Equal(1 / 2.220446049250313e-16 / 2, RegressionMetrics.Evaluate([0, 1], [1, 1]).Mape);
    }

    [Fact]
    public void Mismatched_lengths_and_empty_input_are_rejected_naming_the_argument()
    {
        var mismatch = Assert.Throws<KeelException>(() => RegressionMetrics.Evaluate([1, 2], [1, 2, 3]));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, mismatch.Code);
        Assert.Contains("'yPred' has 3 values but 'yTrue' has 2", mismatch.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<KeelException>(() => RegressionMetrics.Evaluate([], []));
        Assert.Contains("'yTrue' is empty", empty.Message, StringComparison.Ordinal);

        var infinite = Assert.Throws<KeelException>(() => RegressionMetrics.Evaluate([1, 2], [1, double.PositiveInfinity]));
        Assert.Contains("'yPred' has Infinity at index 1", infinite.Message, StringComparison.Ordinal);
    }
}
