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
