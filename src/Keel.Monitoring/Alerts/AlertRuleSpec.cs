using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Core.Errors;

namespace Keel.Monitoring.Alerts;

/// <summary>
/// An alert rule: a metric of a monitor's series (its latest window) or a serving figure of a
/// deployment (over the last <see cref="WindowSeconds"/> of its inference log), compared with a
/// threshold; firing once the condition has held <see cref="ForSeconds"/>, resolved when it stops.
/// Firing and resolving are recorded and sent to the webhooks; <see cref="Action"/> names what a
/// later stage (a retraining pipeline) should do when it fires.
/// </summary>
public sealed record AlertRuleSpec
{
    public static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Serving figures a deployment rule can watch.</summary>
    public static readonly IReadOnlyList<string> DeploymentMetrics = ["requests", "request_rate", "error_rate", "p50_latency_ms", "p99_latency_ms"];

    public static readonly IReadOnlyList<string> Comparisons = [">", ">=", "<", "<=", "==", "!="];

    public static readonly IReadOnlyList<string> Severities = ["info", "warning", "critical"];

    /// <summary>A monitor's name: the rule reads the latest point of <see cref="Feature"/>/<see cref="Metric"/> of its series.</summary>
    [JsonPropertyName("monitor")]
    public string? Monitor { get; init; }

    /// <summary>A deployment's name: the rule computes <see cref="Metric"/> (one of <see cref="DeploymentMetrics"/>) from its inference log.</summary>
    [JsonPropertyName("deployment")]
    public string? Deployment { get; init; }

    [JsonPropertyName("metric")]
    public string Metric { get; init; } = "";

    /// <summary>For a monitor: the feature of the series ("" for window-level metrics such as drift_share).</summary>
    [JsonPropertyName("feature")]
    public string Feature { get; init; } = "";

    /// <summary>For a deployment: how far back its figures are computed (default 300 s).</summary>
    [JsonPropertyName("window_seconds")]
    public long WindowSeconds { get; init; } = 300;

    [JsonPropertyName("comparison")]
    public string Comparison { get; init; } = ">";

    [JsonPropertyName("threshold")]
    public double Threshold { get; init; }

    [JsonPropertyName("for_seconds")]
    public long ForSeconds { get; init; }

    [JsonPropertyName("severity")]
    public string Severity { get; init; } = "warning";

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("webhooks")]
    public IReadOnlyList<WebhookSpec>? Webhooks { get; init; }

    /// <summary>What to start when the rule fires, e.g. <c>pipeline:retrain-fraud</c>; recorded with every event.</summary>
    [JsonPropertyName("action")]
    public string? Action { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static AlertRuleSpec FromJson(string json) =>
        JsonSerializer.Deserialize<AlertRuleSpec>(json, Json) ?? throw new JsonException("An alert rule is a JSON object.");

    /// <summary>The spec with each webhook secret replaced by "***", as the API shows it.</summary>
    public AlertRuleSpec Redacted() => this with
    {
        Webhooks = Webhooks?.Select(w => w.Secret is null ? w : w with { Secret = "***" }).ToList(),
    };

    public bool Holds(double value) => Comparison switch
    {
        ">" => value > Threshold,
        ">=" => value >= Threshold,
        "<" => value < Threshold,
        "<=" => value <= Threshold,
        "==" => value == Threshold,
        _ => value != Threshold,
    };

    /// <summary>Throws INVALID_PARAMETER_VALUE naming the first field that breaks a rule.</summary>
    public void Validate()
    {
        if ((Monitor is null) == (Deployment is null))
        {
            throw KeelException.Invalid("An alert rule watches exactly one of 'monitor' or 'deployment'.");
        }

        if (string.IsNullOrWhiteSpace(Metric))
        {
            throw KeelException.Invalid("Missing value for required parameter 'metric'.");
        }

        if (Deployment is not null && !DeploymentMetrics.Contains(Metric, StringComparer.Ordinal))
        {
            throw KeelException.Invalid($"'metric' of a deployment rule must be one of {string.Join(", ", DeploymentMetrics)}, got '{Metric}'.");
        }

        if (WindowSeconds is < 1 or > 7L * 24 * 3600)
        {
            throw KeelException.Invalid($"'window_seconds' must be between 1 and 604800 (a week), got {WindowSeconds}.");
        }

        if (!Comparisons.Contains(Comparison, StringComparer.Ordinal))
        {
            throw KeelException.Invalid($"'comparison' must be one of {string.Join(" ", Comparisons)}, got '{Comparison}'.");
        }

        if (!double.IsFinite(Threshold))
        {
            throw KeelException.Invalid("'threshold' must be a finite number.");
        }

        if (ForSeconds is < 0 or > 7L * 24 * 3600)
        {
            throw KeelException.Invalid($"'for_seconds' must be between 0 and 604800, got {ForSeconds}.");
        }

        if (!Severities.Contains(Severity, StringComparer.Ordinal))
        {
            throw KeelException.Invalid($"'severity' must be one of {string.Join(", ", Severities)}, got '{Severity}'.");
        }

        var index = 0;
        foreach (var hook in Webhooks ?? [])
        {
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw KeelException.Invalid($"webhooks[{index}].url must be an absolute http or https URL, got '{hook.Url}'.");
            }

            index++;
        }
    }
}

/// <summary>Where an event is POSTed; with a secret, the body is signed: <c>X-Keel-Signature: sha256=HEX(HMAC-SHA256(secret, body))</c>.</summary>
public sealed record WebhookSpec(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("secret")] string? Secret = null);
