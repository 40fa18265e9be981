using Keel.Core.Errors;
using Keel.Monitoring.Quality;

namespace Keel.Monitoring.Tests.Quality;

public sealed class RankingMetricsTests
{
    private static readonly bool[] Labels = [false, false, true, true];

    [Fact]
    public void Roc_auc_of_the_scikit_learn_documentation_example_is_three_quarters()
    {
        Assert.Equal(0.75, RankingMetrics.RocAuc(Labels, [0.1, 0.4, 0.35, 0.8]));
    }

    [Fact]
    public void All_tied_scores_give_an_auc_of_one_half()
    {
        Assert.Equal(0.5, RankingMetrics.RocAuc(Labels, [0.5, 0.5, 0.5, 0.5]));
    }

    [Fact]
    public void A_tie_between_a_positive_and_a_negative_counts_half()
    {
        // Pairs (positive, negative): 0.5 > 0.2, 0.5 = 0.5 (half), 0.9 beats both: 3.5 of 4.
        Assert.Equal(0.875, RankingMetrics.RocAuc([false, true, false, true], [0.2, 0.5, 0.5, 0.9]));
    }

    [Fact]
    public void Average_precision_sums_recall_steps_times_precision_without_interpolation()
    {
        // Thresholds 0.8, 0.4, 0.35, 0.1: recall 0.5, 0.5, 1, 1 with precision 1, 0.5, 2/3, 0.5.
        Assert.Equal(0.5 + (0.5 * 2 / 3), RankingMetrics.AveragePrecision(Labels, [0.1, 0.4, 0.35, 0.8])!.Value, 15);
    }

    [Fact]
    public void Average_precision_with_tied_scores_is_the_positive_rate()
    {
        Assert.Equal(0.5, RankingMetrics.AveragePrecision(Labels, [0.5, 0.5, 0.5, 0.5]));
    }

    [Fact]
    public void A_single_class_gives_no_value_rather_than_nan()
    {
        Assert.Null(RankingMetrics.RocAuc([true, true], [0.1, 0.9]));
        Assert.Null(RankingMetrics.RocAuc([false, false], [0.1, 0.9]));
        Assert.Null(RankingMetrics.AveragePrecision([false, false], [0.1, 0.9]));
        Assert.Equal(1.0, RankingMetrics.AveragePrecision([true, true], [0.1, 0.9]));
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_naming_the_argument()
    {
        var error = Assert.Throws<KeelException>(() => RankingMetrics.RocAuc(Labels, [0.1, 0.2]));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("'scores' has 2 values but 'isPositive' has 4", error.Message, StringComparison.Ordinal);
    }
}
