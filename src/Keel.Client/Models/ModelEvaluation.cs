using System.Globalization;
using Keel.Core.Errors;
using Keel.Monitoring.Quality;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Client.Models;

/// <summary>What kind of model an evaluation scores.</summary>
public enum EvaluationTask
{
    /// <summary>Decided from the data and the model: a text/boolean target, or a model with class scores or integer labels, is a classifier.</summary>
    Auto,

    /// <summary>Accuracy, precision, recall, F1, ROC AUC, log loss, confusion matrix.</summary>
    Classification,

    /// <summary>RMSE, MAE, R², MAPE.</summary>
    Regression,
}

/// <summary>Options of <see cref="KeelClient.EvaluateModelAsync"/>.</summary>
public sealed class EvaluateOptions
{
    /// <summary>The run to log the metrics (and the confusion matrix) to; a new run when <see langword="null"/>.</summary>
    public string? RunId { get; init; }

    /// <summary>The experiment of the new run (default: the Default experiment, "0").</summary>
    public string? ExperimentId { get; init; }

    /// <summary>Classification, regression, or decide from the data and the model.</summary>
    public EvaluationTask Task { get; init; } = EvaluationTask.Auto;

    /// <summary>Log the results to a run; <see langword="false"/> only computes them.</summary>
    public bool LogToRun { get; init; } = true;

    /// <summary>Where the model is cached.</summary>
    public KeelModelOptions? ModelOptions { get; init; }
}

/// <summary>The quality of a model on one labelled dataset.</summary>
/// <param name="ModelUri">The model evaluated.</param>
/// <param name="Task">Classification or regression.</param>
/// <param name="RowCount">The rows scored.</param>
/// <param name="Metrics">Metric name → value (accuracy, f1_macro, …; rmse, mae, r2, mape).</param>
/// <param name="Classes">The class labels, in the confusion matrix's order (classification).</param>
/// <param name="ConfusionMatrix">Rows are true classes, columns predicted classes (classification).</param>
/// <param name="RunId">The run the results were logged to, if any.</param>
public sealed record ModelEvaluation(
    string ModelUri,
    EvaluationTask Task,
    int RowCount,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<string>? Classes,
    IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix,
    string? RunId);

/// <summary>Scores a table with a predictor and computes the quality metrics of Keel.Monitoring.</summary>
internal static class ModelEvaluator
{
    public static ModelEvaluation Evaluate(string modelUri, IPredictor predictor, Table data, string target, EvaluationTask task)
    {
        if (!data.TryGetColumn(target, out var truth))
        {
            throw KeelException.Invalid($"Target column '{target}' is not in the data; its columns are: {string.Join(", ", data.ColumnNames)}.");
        }

        var result = predictor.Predict(data.DropColumn(target));
        if (task == EvaluationTask.Auto)
        {
            var label = result.FindLabelOutput();
            task = truth.Type is ColumnType.String or ColumnType.Boolean || result.FindScoresOutput() is not null
                || result.ClassNames is not null || label?.ElementType is ColumnType.Int64 or ColumnType.Int32 or ColumnType.String or ColumnType.Boolean
                ? EvaluationTask.Classification
                : EvaluationTask.Regression;
        }

        if (task == EvaluationTask.Regression)
        {
            var report = RegressionMetrics.Evaluate(truth.ToDoubles(), result.GetPredictedValues());
            return new ModelEvaluation(modelUri, task, data.RowCount, ToDictionary(report.ToMetrics()), null, null, null);
        }

        var yTrue = truth.ToStrings().Select(Normalize).ToList();
        var yPred = result.GetPredictedLabels().Select(Normalize).ToList();
        var (scores, classes) = Scores(result, yTrue, yPred);
        var classification = ClassificationMetrics.Evaluate(yTrue, yPred, scores, classes);
        return new ModelEvaluation(modelUri, task, data.RowCount, ToDictionary(classification.ToMetrics()), classification.Classes,
            classification.ConfusionMatrix, null);
    }

    /// <summary>
    /// Class scores with the classes their columns stand for: the model's own class names when it
    /// has them, else the sorted labels when their count matches, else 0..k-1 for integer labels.
    /// Scores that cannot be matched to classes are left out (no AUC or log loss, the rest stands).
    /// </summary>
    private static (IReadOnlyList<IReadOnlyList<double>>? Scores, IReadOnlyList<string>? Classes) Scores(
        PredictionResult result, IReadOnlyList<string> yTrue, IReadOnlyList<string> yPred)
    {
        double[][] scores;
        try
        {
            scores = result.GetClassScores();
        }
        catch (KeelException)
        {
            return (null, null);
        }

        var width = scores.Length == 0 ? 0 : scores[0].Length;
        var labels = ClassLabels.Order(yTrue.Concat(yPred).Distinct(StringComparer.Ordinal));
        IReadOnlyList<string>? classes = result.ClassNames?.Select(Normalize).ToList();
        if (classes is null || classes.Count != width)
        {
            classes = labels.Count == width ? labels
                : labels.All(l => long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= 0 && n < width)
                    ? Enumerable.Range(0, width).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList()
                    : null;
        }

        return classes is null || labels.Any(l => !classes.Contains(l)) ? (null, null) : (scores, classes);
    }

    /// <summary>Numbers as their shortest form (`1.0` and `1` are the same class); other labels as they are.</summary>
    private static string Normalize(string? label)
    {
        label ??= string.Empty;
        return double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number == Math.Floor(number) && Math.Abs(number) < 1e15
                ? ((long)number).ToString(CultureInfo.InvariantCulture)
                : number.ToString("R", CultureInfo.InvariantCulture)
            : label;
    }

    private static Dictionary<string, double> ToDictionary(IEnumerable<KeyValuePair<string, double>> metrics) =>
        metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
}
