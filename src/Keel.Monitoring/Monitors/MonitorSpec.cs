using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Core.Errors;
using Keel.Monitoring.Drift;

namespace Keel.Monitoring.Monitors;

/// <summary>
/// What a monitor watches: a deployment's live traffic (the inference log) in windows, against a
/// reference, with drift options and, once feedback arrives, quality. Stored as JSON.
/// </summary>
public sealed record MonitorSpec
{
    public const long DefaultWindowSeconds = 3600;
    public const long DefaultScheduleSeconds = 300;
    public const int DefaultMaxRows = 100_000;
    public const int MaxMaxRows = 1_000_000;

    public static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonPropertyName("deployment")]
    public string Deployment { get; init; } = "";

    [JsonPropertyName("reference")]
    public MonitorReference Reference { get; init; } = new();

    /// <summary>Input columns to test for drift; null: every reference column the requests carry.</summary>
    [JsonPropertyName("features")]
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>The output compared with feedback and tested for prediction drift; null: the model's only output, or <c>label</c>.</summary>
    [JsonPropertyName("prediction")]
    public string? Prediction { get; init; }

    /// <summary>The output holding class probabilities, for estimated accuracy before labels arrive; null: <c>probabilities</c> when present.</summary>
    [JsonPropertyName("probabilities")]
    public string? Probabilities { get; init; }

    /// <summary>
    /// The class of each column of the probabilities output, in order; null: 0, 1, … k − 1 when
    /// every label is such an integer (what an ONNX or ML.NET classifier trained on integer labels
    /// returns). With it, windows also get ROC AUC and log loss.
    /// </summary>
    [JsonPropertyName("classes")]
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>classification or regression; null decides from the labels.</summary>
    [JsonPropertyName("task")]
    public string? Task { get; init; }

    /// <summary>A window is this many seconds of traffic ending at the run (default one hour)…</summary>
    [JsonPropertyName("window_seconds")]
    public long? WindowSeconds { get; init; }

    /// <summary>…or the latest this many requests, whatever their age.</summary>
    [JsonPropertyName("window_requests")]
    public int? WindowRequests { get; init; }

    /// <summary>At most this many requests are read per window, spread evenly over it: memory follows the configuration, not the traffic.</summary>
    [JsonPropertyName("max_rows")]
    public int MaxRows { get; init; } = DefaultMaxRows;

    /// <summary>Seconds between scheduled runs inside keel server; 0 runs only on demand.</summary>
    [JsonPropertyName("schedule_seconds")]
    public long ScheduleSeconds { get; init; } = DefaultScheduleSeconds;

    [JsonPropertyName("drift")]
    public DriftOptions? Drift { get; init; }

    [JsonIgnore]
    public long EffectiveWindowSeconds => WindowSeconds ?? DefaultWindowSeconds;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static MonitorSpec FromJson(string json) =>
        JsonSerializer.Deserialize<MonitorSpec>(json, Json) ?? throw new JsonException("A monitor spec is a JSON object.");

    /// <summary>Throws INVALID_PARAMETER_VALUE naming the first field that breaks a rule.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Deployment))
        {
            throw KeelException.Invalid("Missing value for required parameter 'deployment'.");
        }

        var references = (Reference.Dataset is null ? 0 : 1) + (Reference.TrainingData ? 1 : 0) + (Reference.Artifact is null ? 0 : 1);
        if (references != 1)
        {
            throw KeelException.Invalid("'reference' must name exactly one of 'dataset' (NAME or NAME@VERSION), 'artifact' (runs:/RUN_ID/path/file.csv) or 'training_data': true.");
        }

        if (Reference.Artifact is { } artifact && !artifact.StartsWith("runs:/", StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"'reference.artifact' must be runs:/RUN_ID/path/to/file (.csv, .parquet or .jsonl), got '{artifact}'.");
        }

        if (WindowSeconds is not null && WindowRequests is not null)
        {
            throw KeelException.Invalid("Give 'window_seconds' or 'window_requests', not both.");
        }

        if (WindowSeconds is <= 0 or > 366L * 24 * 3600)
        {
            throw KeelException.Invalid($"'window_seconds' must be between 1 and 31622400 (a year), got {WindowSeconds}.");
        }

        if (WindowRequests is <= 0 or > MaxMaxRows)
        {
            throw KeelException.Invalid($"'window_requests' must be between 1 and {MaxMaxRows}, got {WindowRequests}.");
        }

        if (MaxRows is <= 0 or > MaxMaxRows)
        {
            throw KeelException.Invalid($"'max_rows' must be between 1 and {MaxMaxRows}, got {MaxRows}.");
        }

        if (ScheduleSeconds is < 0 or > 366L * 24 * 3600 || ScheduleSeconds is > 0 and < 10)
        {
            throw KeelException.Invalid($"'schedule_seconds' must be 0 (on demand) or between 10 and 31622400, got {ScheduleSeconds}.");
        }

        if (Task is not (null or "classification" or "regression"))
        {
            throw KeelException.Invalid($"'task' must be 'classification' or 'regression', got '{Task}'.");
        }

        try
        {
            Drift?.Validate();
        }
        catch (ArgumentException e)
        {
            throw KeelException.Invalid("drift." + e.Message);
        }
    }
}

/// <summary>The reference a monitor compares with: a dataset version's profile, a tabular run artifact, or the training data of the deployed model's run.</summary>
public sealed record MonitorReference
{
    /// <summary>NAME@VERSION (a number or id) or NAME for its latest version.</summary>
    [JsonPropertyName("dataset")]
    public string? Dataset { get; init; }

    /// <summary>A tabular file logged as a run artifact, <c>runs:/RUN_ID/path/file.csv</c> (or .parquet, .jsonl): profiled when first used.</summary>
    [JsonPropertyName("artifact")]
    public string? Artifact { get; init; }

    /// <summary>The dataset version the run that logged the deployment's primary model recorded as an input (context <c>training</c> first).</summary>
    [JsonPropertyName("training_data")]
    public bool TrainingData { get; init; }

    /// <summary>
    /// The reference's column of true values (e.g. the training labels): feedback is tested
    /// against it for target drift, and predictions too when the reference has no column named
    /// like the prediction output.
    /// </summary>
    [JsonPropertyName("target")]
    public string? Target { get; init; }

    /// <summary>Which tabular file of a multi-file version; null: the first by path.</summary>
    [JsonPropertyName("table")]
    public string? Table { get; init; }
}
