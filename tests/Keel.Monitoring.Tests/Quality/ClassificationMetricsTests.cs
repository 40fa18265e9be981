using Keel.Core.Errors;
using Keel.Monitoring.Quality;
using static Keel.Monitoring.Tests.Quality.QualityFixtures;

namespace Keel.Monitoring.Tests.Quality;

public sealed class ClassificationMetricsTests
{
    [Fact]
    public void Classification_metrics_match_scikit_learn_on_the_shared_fixture()
    {
        var rows = ReadCsv("classification_predictions.csv");
        var yTrue = rows.Select(r => r["y_true"]).ToList();
        var yPred = rows.Select(r => r["y_pred"]).ToList();
        var scores = rows.Select(r => (IReadOnlyList<double>)[Number(r["score_0"]), Number(r["score_1"]), Number(r["score_2"])]).ToList();
        var expected = Expected("classification");

        var report = ClassificationMetrics.Evaluate(yTrue, yPred, scores, positiveClass: "1");

        Assert.Equal(["0", "1", "2"], report.Classes);
        Assert.Equal(2000, report.SampleCount);
        var metrics = report.ToMetrics().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var name in new[]
        {
            "accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted", "recall_weighted",
            "f1_weighted", "precision_micro", "recall_micro", "f1_micro", "roc_auc_ovr_macro", "log_loss",
        })
        {
            Close(expected.GetProperty(name).GetDouble(), metrics[name], name);
        }

        Close(expected.GetProperty("binary_class1_roc_auc").GetDouble(), report.PositiveClassRocAuc, "binary_class1_roc_auc");
        Close(expected.GetProperty("binary_class1_roc_auc").GetDouble(), metrics["roc_auc_class_1"], "roc_auc_class_1");
        Close(expected.GetProperty("binary_class1_average_precision").GetDouble(), report.PositiveClassAveragePrecision, "binary_class1_average_precision");
        Close(expected.GetProperty("binary_class1_average_precision").GetDouble(), metrics["average_precision_class_1"], "average_precision_class_1");

        var matrix = expected.GetProperty("confusion_matrix").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(matrix, report.ConfusionMatrix.Select(r => r.ToArray()).ToArray());

        // Every value the oracle holds is checked above; a new one should fail here until it is.
        var covered = metrics.Keys.Concat(["confusion_matrix", "binary_class1_roc_auc", "binary_class1_average_precision"]);
        Assert.Empty(expected.EnumerateObject().Select(p => p.Name).Except(covered, StringComparer.Ordinal));
    }

    [Fact]
    public void Integer_labels_give_the_same_report_as_their_text()
    {
        var rows = ReadCsv("classification_predictions.csv");
        var scores = rows.Select(r => (IReadOnlyList<double>)[Number(r["score_0"]), Number(r["score_1"]), Number(r["score_2"])]).ToList();

        var text = ClassificationMetrics.Evaluate(rows.Select(r => r["y_true"]).ToList(), rows.Select(r => r["y_pred"]).ToList(), scores, positiveClass: "1");
        var numbers = ClassificationMetrics.Evaluate(
            rows.Select(r => long.Parse(r["y_true"], System.Globalization.CultureInfo.InvariantCulture)).ToList(),
            rows.Select(r => long.Parse(r["y_pred"], System.Globalization.CultureInfo.InvariantCulture)).ToList(),
            scores,
            positiveClass: 1);

        Assert.Equal(text.ToMetrics(includePerClass: true), numbers.ToMetrics(includePerClass: true));
    }

    [Fact]
    public void Perfect_predictions_score_one_everywhere_and_log_loss_near_zero()
    {
        long[] labels = [0, 1, 2, 1, 0, 2];
        var scores = labels.Select(l => (IReadOnlyList<double>)[l == 0 ? 1 : 0, l == 1 ? 1 : 0, l == 2 ? 1 : 0]).ToList();

        var report = ClassificationMetrics.Evaluate(labels, labels, scores);

        Assert.All(report.ToMetrics().Where(m => m.Key != "log_loss"), m => Assert.Equal(1.0, m.Value));
        Assert.Equal("roc_auc_ovr_macro", report.RocAucName);

        // One-hot rows are clipped to [eps, 1 − eps] and renormalised, so the loss is tiny but positive.
        Assert.InRange(report.LogLoss!.Value, 1e-17, 1e-15);
        Assert.Equal([[2L, 0, 0], [0, 2, 0], [0, 0, 2]], report.ConfusionMatrix.Select(r => r.ToArray()).ToArray());
    }

    [Fact]
    public void A_class_never_predicted_scores_zero_instead_of_dividing_by_zero()
    {
        var report = ClassificationMetrics.Evaluate(["a", "a", "b", "b", "c"], ["a", "a", "b", "b", "a"]);

        var c = report.PerClass[2];
        Assert.Equal(("c", 0.0, 0.0, 0.0, 1L), (c.Label, c.Precision, c.Recall, c.F1, c.Support));
        Assert.Equal(0.8, report.Accuracy, 15);
        Assert.Equal(5.0 / 9, report.Macro.Precision, 15);
        Assert.Equal(2.0 / 3, report.Macro.Recall, 15);
        Assert.Equal(0.6, report.Macro.F1, 15);
        Assert.Equal(2.0 / 3, report.Weighted.Precision, 15);
        Assert.Equal(0.8, report.Micro.Precision, 15);
        Assert.Null(report.RocAuc);
        Assert.Null(report.LogLoss);
        Assert.DoesNotContain(report.ToMetrics(), m => m.Key.StartsWith("roc_auc", StringComparison.Ordinal) || m.Key == "log_loss");
    }

    [Fact]
    public void A_class_absent_from_y_true_leaves_the_one_vs_rest_auc_out_without_throwing()
    {
        IReadOnlyList<double>[] scores = [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]];

        var report = ClassificationMetrics.Evaluate(["x", "y", "x", "y"], ["x", "y", "x", "z"], scores, positiveClass: "z");

        Assert.Equal(["x", "y", "z"], report.Classes);
        Assert.NotNull(report.PerClass[0].RocAuc);
        Assert.Null(report.PerClass[2].RocAuc);
        Assert.Null(report.RocAuc);
        Assert.Null(report.PositiveClassRocAuc);
        Assert.Null(report.PositiveClassAveragePrecision);
        Assert.NotNull(report.LogLoss);
        Assert.DoesNotContain(report.ToMetrics(), m => double.IsNaN(m.Value) || m.Key.StartsWith("roc_auc", StringComparison.Ordinal));
    }

    [Fact]
    public void String_labels_sort_ordinally_and_index_the_confusion_matrix()
    {
        var report = ClassificationMetrics.Evaluate(["cat", "dog", "cat", "bird", "dog"], ["cat", "cat", "cat", "bird", "dog"]);

        Assert.Equal(["bird", "cat", "dog"], report.Classes);
        Assert.Equal([[1L, 0, 0], [0, 2, 0], [0, 1, 1]], report.ConfusionMatrix.Select(r => r.ToArray()).ToArray());
        var cat = report.PerClass[1];
        Assert.Equal(("cat", 2.0 / 3, 1.0, 2L), (cat.Label, cat.Precision, cat.Recall, cat.Support));
        Assert.Equal(0.8, cat.F1, 15);
    }

    [Fact]
    public void Binary_string_labels_report_plain_roc_auc_for_the_second_class()
    {
        IReadOnlyList<double>[] scores = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];

        var report = ClassificationMetrics.Evaluate(["no", "no", "yes", "yes"], ["no", "no", "no", "yes"], scores);

        Assert.Equal("roc_auc", report.RocAucName);
        Assert.Equal(0.75, report.RocAuc);
        Assert.Contains(new KeyValuePair<string, double>("roc_auc", 0.75), report.ToMetrics());
    }

    [Fact]
    public void Numeric_looking_labels_sort_by_value_as_integers_do_in_scikit_learn()
    {
        Assert.Equal(["-1", "2", "9", "10"], ClassLabels.Order(["10", "9", "2", "-1", "9"]));
        Assert.Equal(["10", "9", "a"], ClassLabels.Order(["9", "a", "10"]));
    }

    [Fact]
    public void A_given_class_order_orders_the_matrix_and_matches_the_score_columns()
    {
        IReadOnlyList<double>[] scores = [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]];

        var report = ClassificationMetrics.Evaluate(["b", "a", "a"], ["b", "a", "b"], scores, classes: ["b", "a"], positiveClass: "b");

        Assert.Equal(["b", "a"], report.Classes);
        Assert.Equal([[1L, 0], [1, 1]], report.ConfusionMatrix.Select(r => r.ToArray()).ToArray());
        Assert.Equal(1.0, report.PositiveClassRocAuc);
        Assert.Equal(1.0, report.PositiveClassAveragePrecision);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_naming_the_argument()
    {
        var error = Assert.Throws<KeelException>(() => ClassificationMetrics.Evaluate(["a", "b"], ["a"]));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("'yPred' has 1 values but 'yTrue' has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_scores_and_classes_are_rejected_naming_the_argument()
    {
        string[] three = ["a", "b", "c"];
        string[] two = ["a", "b"];
        IReadOnlyList<double>[] twoRows = [[0.5, 0.5], [0.5, 0.5]];
        IReadOnlyList<double>[] threeRows = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]];
        IReadOnlyList<double>[] notFinite = [[0.5, 0.5], [double.NaN, 0.5]];

        AssertInvalid("'scores' has 2 rows", () => ClassificationMetrics.Evaluate(three, three, twoRows));
        AssertInvalid("'scores' row 0 has 2 columns but there are 3 classes", () => ClassificationMetrics.Evaluate(three, three, threeRows));
        AssertInvalid("'yPred' has 'c' at index 1", () => ClassificationMetrics.Evaluate(two, ["a", "c"], classes: two));
        AssertInvalid("'classes' has a missing or repeated label at index 1", () => ClassificationMetrics.Evaluate(two, two, classes: ["a", "a"]));
        AssertInvalid("'positiveClass' is 'z'", () => ClassificationMetrics.Evaluate(two, two, positiveClass: "z"));
        AssertInvalid("'scores[1]' has NaN", () => ClassificationMetrics.Evaluate(two, two, notFinite));
    }

    [Fact]
    public void Empty_input_is_rejected()
    {
        AssertInvalid("'yTrue' is empty", () => ClassificationMetrics.Evaluate(Array.Empty<string>(), Array.Empty<string>()));
    }

    private static void AssertInvalid(string messagePart, Func<object> evaluate)
    {
        var error = Assert.Throws<KeelException>(evaluate);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }
}
