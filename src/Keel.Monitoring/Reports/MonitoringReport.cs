using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Monitoring.Drift;

namespace Keel.Monitoring.Reports;

/// <summary>
/// What `keel monitor report` writes and a monitor window shows: data drift over the features,
/// drift of the target and of the prediction when their columns are named, and model quality on
/// each side that has both. Serialised as JSON (snake_case) or rendered by <see cref="ReportHtml"/>.
/// </summary>
public sealed record MonitoringReport(
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("current")] string Current,
    [property: JsonPropertyName("data_drift")] DriftReport DataDrift)
{
    public static readonly JsonSerializerOptions Json = new(DriftReport.Json) { WriteIndented = true };

    [JsonPropertyName("target")]
    public string? Target { get; init; }

    [JsonPropertyName("prediction")]
    public string? Prediction { get; init; }

    /// <summary>The target column's own drift (the labels moved), when it is named.</summary>
    [JsonPropertyName("target_drift")]
    public FeatureDrift? TargetDrift { get; init; }

    /// <summary>The prediction column's drift (the model's outputs moved), when it is named.</summary>
    [JsonPropertyName("prediction_drift")]
    public FeatureDrift? PredictionDrift { get; init; }

    [JsonPropertyName("quality")]
    public QualityComparison? Quality { get; init; }

    [JsonPropertyName("data_quality")]
    public IReadOnlyList<FeatureQuality>? DataQuality { get; init; }

    /// <summary>Estimated quality from the model's own probabilities, beside the realised one once labels exist.</summary>
    [JsonPropertyName("performance_estimate")]
    public PerformanceEstimate? PerformanceEstimate { get; init; }

    /// <summary>For a monitor's report: which window of the inference log it covers.</summary>
    [JsonPropertyName("window")]
    public ReportWindow? Window { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static MonitoringReport FromJson(string json) =>
        JsonSerializer.Deserialize<MonitoringReport>(json, Json) ?? throw new JsonException("A report is a JSON object.");
}

/// <summary>
/// Model quality on both sides: <see cref="Task"/> is <c>classification</c> or <c>regression</c>;
/// the metrics are scikit-learn's (accuracy, precision/recall/F1 macro, weighted and micro for
/// classification; rmse, mae, r2, mape for regression), null for a side without both columns.
/// </summary>
public sealed record QualityComparison(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("reference")] IReadOnlyDictionary<string, double>? Reference,
    [property: JsonPropertyName("current")] IReadOnlyDictionary<string, double>? Current)
{
    [JsonPropertyName("reference_rows")]
    public long ReferenceRows { get; init; }

    [JsonPropertyName("current_rows")]
    public long CurrentRows { get; init; }

    [JsonPropertyName("classes")]
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>The current side's confusion matrix (rows true, columns predicted, in <see cref="Classes"/> order).</summary>
    [JsonPropertyName("confusion_matrix")]
    public IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix { get; init; }
}

/// <summary>
/// One feature's data quality in the current data: missing shares on both sides, the share of
/// present numbers outside the reference's [min, max], how many categories the reference never
/// had, whether the type changed (numbers in one side, text in the other) and how many current
/// values are not numbers where the reference has numbers.
/// </summary>
public sealed record FeatureQuality(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("reference_missing_share")] double? ReferenceMissingShare,
    [property: JsonPropertyName("current_missing_share")] double? CurrentMissingShare,
    [property: JsonPropertyName("out_of_range_share")] double? OutOfRangeShare,
    [property: JsonPropertyName("new_categories")] int NewCategories,
    [property: JsonPropertyName("type_mismatch")] bool TypeMismatch)
{
    /// <summary>Current values that are not numbers in a numeric column (see <see cref="Drift.FeatureDrift.TypeErrors"/>).</summary>
    [JsonPropertyName("type_errors")]
    public long TypeErrors { get; init; }
}

/// <summary>
/// Confidence-based performance estimation (NannyML's CBPE) for a classifier: the expected
/// accuracy is the mean over rows of the largest predicted probability — exact in expectation for
/// a calibrated model — known before any label; <see cref="RealizedAccuracy"/> is measured on the
/// rows whose labels arrived, <see cref="EstimatedAccuracyOnLabelled"/> the estimate on those same rows.
/// </summary>
public sealed record PerformanceEstimate(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("estimated_accuracy")] double EstimatedAccuracy,
    [property: JsonPropertyName("rows_with_actual")] long RowsWithActual,
    [property: JsonPropertyName("estimated_accuracy_on_labelled")] double? EstimatedAccuracyOnLabelled,
    [property: JsonPropertyName("realized_accuracy")] double? RealizedAccuracy);

/// <summary>The part of the inference log a monitor's report covers; <see cref="SampledEvery"/> &gt; 1 when the window held more requests than <c>max_rows</c>.</summary>
public sealed record ReportWindow(
    [property: JsonPropertyName("monitor")] string Monitor,
    [property: JsonPropertyName("deployment")] string Deployment,
    [property: JsonPropertyName("start")] long Start,
    [property: JsonPropertyName("end")] long End,
    [property: JsonPropertyName("requests_in_window")] long RequestsInWindow,
    [property: JsonPropertyName("requests_read")] long RequestsRead,
    [property: JsonPropertyName("sampled_every")] int SampledEvery,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("rows_with_actual")] long RowsWithActual,
    [property: JsonPropertyName("unreadable_requests")] int UnreadableRequests);
