using Keel.Monitoring.Drift;
using Keel.Monitoring.Quality;
using Keel.Tabular;

namespace Keel.Monitoring.Reports;

/// <summary>What a report compares and how.</summary>
public sealed record ReportOptions
{
    public string Title { get; init; } = "Data drift report";

    /// <summary>The column of true values (labels or numbers), if any.</summary>
    public string? Target { get; init; }

    /// <summary>The column of the model's predictions, if any.</summary>
    public string? Prediction { get; init; }

    /// <summary>Regression or classification; null decides from the target: text, booleans, or whole numbers with at most 20 distinct values are classes.</summary>
    public string? Task { get; init; }

    /// <summary>
    /// A reference column of true values that the current <see cref="Target"/> is compared with
    /// (target drift), and <see cref="Prediction"/> too when the reference has no column of that
    /// name (the predictions' distribution against the labels the model learnt from).
    /// </summary>
    public string? ReferenceTarget { get; init; }

    /// <summary>Optional class scores (probabilities) for each current row, in <see cref="Classes"/> order: ROC AUC and log loss.</summary>
    public IReadOnlyList<double[]>? Scores { get; init; }

    /// <summary>The class of each score column; required with <see cref="Scores"/>.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>Drift options; their <see cref="DriftOptions.Features"/> (null: every shared column but target and prediction) are the features.</summary>
    public DriftOptions Drift { get; init; } = DriftOptions.Default;
}

/// <summary>Builds a <see cref="MonitoringReport"/> from two tables (files, or a monitor's reference and window).</summary>
public static class ReportBuilder
{
    public const int MaxClassesForInference = 20;

    public static MonitoringReport Build(
        Table reference,
        Table current,
        string referenceName,
        string currentName,
        ReportOptions options,
        TimeProvider time) => Build(DriftData.FromTable(reference), reference, current, referenceName, currentName, options, time);

    /// <summary>
    /// With the reference given as <see cref="DriftData"/> (a profile, say) and, when quality on
    /// the reference side is wanted, its table.
    /// </summary>
    public static MonitoringReport Build(
        DriftData reference,
        Table? referenceTable,
        Table current,
        string referenceName,
        string currentName,
        ReportOptions options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        foreach (var (field, column) in new[] { ("target", options.Target), ("prediction", options.Prediction) })
        {
            if (column is not null && !current.Contains(column))
            {
                throw new ArgumentException($"{field}: '{column}' is not a column of the current data (columns: {string.Join(", ", current.ColumnNames)}).");
            }
        }

        var special = new[] { options.Target, options.Prediction }.OfType<string>().ToHashSet(StringComparer.Ordinal);
        var features = options.Drift.Features
            ?? [.. reference.Columns.Where(c => current.Contains(c) && !special.Contains(c))];
        var currentData = DriftData.FromTable(current);
        var drift = DriftEngine.Compare(reference, currentData, options.Drift with { Features = features });
        var outputReference = reference;
        if (options.ReferenceTarget is { } referenceTarget)
        {
            if (reference[referenceTarget] is null)
            {
                throw new ArgumentException($"reference target: '{referenceTarget}' is not a column of the reference (columns: {string.Join(", ", reference.Columns)}).");
            }

            foreach (var column in new[] { options.Target, options.Prediction }.OfType<string>())
            {
                outputReference = outputReference.WithAlias(referenceTarget, column);
            }
        }

        var outputs = new[] { options.Target, options.Prediction }.OfType<string>().Where(c => outputReference[c] is not null && current.Contains(c)).ToList();
        var outputDrift = outputs.Count == 0
            ? null
            : DriftEngine.Compare(outputReference, currentData, options.Drift with { Features = outputs });
        FeatureDrift? Output(string? column) => column is null || outputDrift?[column] is not { } drift ? null
            : reference[column] is null && options.ReferenceTarget is { } source ? drift with { Note = drift.Note ?? $"Compared with the reference's '{source}' column." } : drift;
        return new MonitoringReport(options.Title, time.GetUtcNow(), referenceName, currentName, drift)
        {
            Target = options.Target,
            Prediction = options.Prediction,
            TargetDrift = Output(options.Target),
            PredictionDrift = Output(options.Prediction),
            Quality = options.Target is { } target && options.Prediction is { } prediction
                ? Quality(referenceTable, current, target, prediction, options)
                : null,
            DataQuality = DataQuality(reference, currentData, drift),
        };
    }

    /// <summary>Per feature: missing shares on both sides, values outside the reference's range, new categories, a type that changed.</summary>
    private static IReadOnlyList<FeatureQuality> DataQuality(DriftData reference, DriftData current, DriftReport drift) =>
        [.. drift.Features.Select(f =>
        {
            var range = reference.Range(f.Name);
            var referenceKind = reference.IsNumeric(f.Name);
            var currentKind = current.IsNumeric(f.Name);
            return new FeatureQuality(
                f.Name,
                Share(f.ReferenceMissing, f.ReferenceCount),
                Share(f.CurrentMissing, f.CurrentCount),
                range is { } r ? current.ShareOutside(f.Name, r.Min, r.Max) : null,
                f.NewCategories?.Count ?? 0,
                referenceKind is { } a && currentKind is { } b && a != b)
            {
                TypeErrors = f.TypeErrors ?? 0,
            };
        })];

    private static double? Share(long part, long rest) => part + rest == 0 ? null : (double)part / (part + rest);

    private static QualityComparison Quality(Table? reference, Table current, string target, string prediction, ReportOptions options)
    {
        var task = options.Task ?? (IsClassification(current[target]) ? "classification" : "regression");
        if (task is not ("classification" or "regression"))
        {
            throw new ArgumentException($"task must be 'classification' or 'regression', got '{task}'.");
        }

        var usable = reference is not null && reference.Contains(target) && reference.Contains(prediction);
        if (task == "classification")
        {
            var (currentReport, currentRows) = Classification(current, target, prediction, options.Scores, options.Classes);
            var (referenceReport, referenceRows) = usable ? Classification(reference!, target, prediction, null, null) : (null, 0);
            return new QualityComparison(task, Metrics(referenceReport?.ToMetrics()), Metrics(currentReport?.ToMetrics()))
            {
                ReferenceRows = referenceRows,
                CurrentRows = currentRows,
                Classes = currentReport?.Classes,
                ConfusionMatrix = currentReport?.ConfusionMatrix,
            };
        }

        var (currentRegression, rows) = Regression(current, target, prediction);
        var (referenceRegression, referenceCount) = usable ? Regression(reference!, target, prediction) : (null, 0);
        return new QualityComparison(task, Metrics(referenceRegression?.ToMetrics()), Metrics(currentRegression?.ToMetrics()))
        {
            ReferenceRows = referenceCount,
            CurrentRows = rows,
        };
    }

    private static Dictionary<string, double>? Metrics(IReadOnlyList<KeyValuePair<string, double>>? metrics) =>
        metrics?.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);

    private static bool IsClassification(Column column)
    {
        if (!column.IsNumeric)
        {
            return true;
        }

        // Integers, or whole numbers in a float column (labels that went through JSON), with few distinct values.
        var distinct = new HashSet<double>();
        for (var row = 0; row < column.Length && distinct.Count <= MaxClassesForInference; row++)
        {
            if (!column.IsMissing(row))
            {
                var value = column.GetDouble(row);
                if (value != Math.Floor(value))
                {
                    return false;
                }

                distinct.Add(value);
            }
        }

        return distinct.Count <= MaxClassesForInference;
    }

    /// <summary>
    /// Rows where both the label and the prediction are present; none leaves the side without
    /// metrics. With scores whose classes cover every label, ROC AUC and log loss too; scores
    /// that do not fit (a label outside the classes, a row of another width) are left out.
    /// </summary>
    private static (ClassificationReport? Report, long Rows) Classification(
        Table table, string target, string prediction, IReadOnlyList<double[]>? scores, IReadOnlyList<string>? classes)
    {
        var truth = new List<string>();
        var predicted = new List<string>();
        var kept = new List<IReadOnlyList<double>>();
        Column t = table[target], p = table[prediction];
        for (var row = 0; row < table.RowCount; row++)
        {
            if (t.GetString(row) is { } a && p.GetString(row) is { } b)
            {
                truth.Add(a);
                predicted.Add(b);
                if (scores is not null && row < scores.Count)
                {
                    kept.Add(scores[row]);
                }
            }
        }

        if (truth.Count == 0)
        {
            return (null, 0);
        }

        if (scores is not null && classes is not null && kept.Count == truth.Count)
        {
            try
            {
                return (ClassificationMetrics.Evaluate(truth, predicted, kept, classes), truth.Count);
            }
            catch (Core.Errors.KeelException)
            {
                // The scores do not fit these labels: the metrics that need none still do.
            }
        }

        return (ClassificationMetrics.Evaluate(truth, predicted), truth.Count);
    }

    private static (RegressionReport? Report, long Rows) Regression(Table table, string target, string prediction)
    {
        Column t = table[target], p = table[prediction];
        if (!t.IsNumeric || !p.IsNumeric)
        {
            throw new ArgumentException($"A regression report needs numeric '{target}' and '{prediction}' columns.");
        }

        var truth = new List<double>();
        var predicted = new List<double>();
        for (var row = 0; row < table.RowCount; row++)
        {
            double a = t.GetDouble(row), b = p.GetDouble(row);
            if (double.IsFinite(a) && double.IsFinite(b))
            {
                truth.Add(a);
                predicted.Add(b);
            }
        }

        return truth.Count == 0 ? (null, 0) : (RegressionMetrics.Evaluate(truth, predicted), truth.Count);
    }
}
