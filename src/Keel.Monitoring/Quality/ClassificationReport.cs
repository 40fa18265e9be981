namespace Keel.Monitoring.Quality;

/// <summary>Precision, recall and F1 under one averaging (macro, weighted or micro).</summary>
public readonly record struct PrecisionRecallF1(double Precision, double Recall, double F1);

/// <summary>
/// One class's scores, as <c>precision_recall_fscore_support(average=None)</c> reports them;
/// <see cref="RocAuc"/> is one-vs-rest on the class's own score column (null without scores or
/// when every sample, or none, has the class).
/// </summary>
public sealed record ClassQuality(string Label, double Precision, double Recall, double F1, long Support, double? RocAuc);

/// <summary>What <see cref="ClassificationMetrics"/> found for one set of predictions.</summary>
public sealed class ClassificationReport
{
    /// <summary>Class order of <see cref="PerClass"/>, the confusion matrix and the score columns.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    public required int SampleCount { get; init; }

    public required double Accuracy { get; init; }

    public required PrecisionRecallF1 Macro { get; init; }

    /// <summary>Averaged with each class's support (its count in y_true) as weight.</summary>
    public required PrecisionRecallF1 Weighted { get; init; }

    /// <summary>From the pooled counts; equals accuracy when every label is one of the classes.</summary>
    public required PrecisionRecallF1 Micro { get; init; }

    public required IReadOnlyList<ClassQuality> PerClass { get; init; }

    /// <summary>Rows are the true class, columns the predicted class, both in <see cref="Classes"/> order.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>
    /// With two classes the plain binary ROC AUC of the second class's score (scikit-learn's
    /// <c>roc_auc_score(y, proba[:, 1])</c>); with more, the one-vs-rest macro average. Null without
    /// scores, or when a class has no sample in y_true.
    /// </summary>
    public double? RocAuc { get; init; }

    /// <summary>The metric name <see cref="RocAuc"/> is logged under.</summary>
    public string RocAucName => Classes.Count == 2 ? "roc_auc" : "roc_auc_ovr_macro";

    public double? LogLoss { get; init; }

    public string? PositiveClass { get; init; }

    /// <summary>Binary ROC AUC of <see cref="PositiveClass"/> against the rest, on its score column.</summary>
    public double? PositiveClassRocAuc { get; init; }

    /// <summary>Average precision of <see cref="PositiveClass"/> against the rest, on its score column.</summary>
    public double? PositiveClassAveragePrecision { get; init; }

    /// <summary>
    /// Every computed scalar as (name, value) in a fixed order, ready to log as MLflow metrics:
    /// <c>accuracy</c>, <c>precision_macro</c>, <c>recall_macro</c>, <c>f1_macro</c>, the same for
    /// <c>_weighted</c> and <c>_micro</c>, then <c>roc_auc</c> (binary) or <c>roc_auc_ovr_macro</c>,
    /// <c>log_loss</c>, and for the positive class <c>roc_auc_class_{label}</c> and
    /// <c>average_precision_class_{label}</c>. Metrics that could not be computed are left out.
    /// With <paramref name="includePerClass"/>, also <c>precision_class_{label}</c>,
    /// <c>recall_class_{label}</c>, <c>f1_class_{label}</c>, <c>support_class_{label}</c> and
    /// <c>roc_auc_class_{label}</c> for every class.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, double>> ToMetrics(bool includePerClass = false)
    {
        var metrics = new List<KeyValuePair<string, double>>
        {
            new("accuracy", Accuracy),
        };
        foreach (var (suffix, scores) in new[] { ("macro", Macro), ("weighted", Weighted), ("micro", Micro) })
        {
            metrics.Add(new("precision_" + suffix, scores.Precision));
            metrics.Add(new("recall_" + suffix, scores.Recall));
            metrics.Add(new("f1_" + suffix, scores.F1));
        }

        Add(metrics, RocAucName, RocAuc);
        Add(metrics, "log_loss", LogLoss);
        if (PositiveClass is not null)
        {
            var suffix = "_class_" + MetricNameSuffix(PositiveClass);
            if (!includePerClass)
            {
                Add(metrics, "roc_auc" + suffix, PositiveClassRocAuc);
            }

            Add(metrics, "average_precision" + suffix, PositiveClassAveragePrecision);
        }

        if (includePerClass)
        {
            foreach (var quality in PerClass)
            {
                var suffix = "_class_" + MetricNameSuffix(quality.Label);
                metrics.Add(new("precision" + suffix, quality.Precision));
                metrics.Add(new("recall" + suffix, quality.Recall));
                metrics.Add(new("f1" + suffix, quality.F1));
                metrics.Add(new("support" + suffix, quality.Support));
                Add(metrics, "roc_auc" + suffix, quality.RocAuc);
            }
        }

        return metrics;
    }

    /// <summary>
    /// A label as MLflow accepts it in a metric name (letters, digits, <c>_ - . /</c> and space);
    /// anything else becomes <c>_</c>.
    /// </summary>
    public static string MetricNameSuffix(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return string.Create(label.Length, label, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ' ' ? c : '_';
            }
        });
    }

    private static void Add(List<KeyValuePair<string, double>> metrics, string name, double? value)
    {
        if (value is { } v)
        {
            metrics.Add(new(name, v));
        }
    }
}
