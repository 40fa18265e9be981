using System.Globalization;
using System.Text.Json;
using Keel.Core.Monitoring;
using Keel.Monitoring.Alerts;

namespace Keel.Client;

/// <summary>An alert rule as the server shows it: webhook secrets redacted, with its evaluation state.</summary>
public sealed record AlertRuleInfo(string Name, AlertRuleSpec Spec, string State, long? StateSince, double? LastValue, long? LastEvaluated);

/// <summary>A rule's event (firing or resolved) and its webhook deliveries.</summary>
public sealed record AlertEventInfo(AlertEvent Event, IReadOnlyList<AlertDelivery> Deliveries);

/// <summary>Alert rules over monitors and deployments (issue 7).</summary>
public sealed partial class KeelClient
{
    /// <summary>Creates an alert rule; it is evaluated by the server every monitor tick.</summary>
    public async Task<AlertRuleInfo> CreateAlertRuleAsync(string name, AlertRuleSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        using var document = await SendKeelAsync(HttpMethod.Post, "alerts/rules", null, w => NameAndRule(w, name, spec), cancellationToken);
        return ReadRule(document.RootElement.GetProperty("rule"));
    }

    /// <summary>Replaces a rule's spec; its state is kept.</summary>
    public async Task<AlertRuleInfo> UpdateAlertRuleAsync(string name, AlertRuleSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        using var document = await SendKeelAsync(HttpMethod.Patch, "alerts/rules", null, w => NameAndRule(w, name, spec), cancellationToken);
        return ReadRule(document.RootElement.GetProperty("rule"));
    }

    /// <summary>One rule with its state.</summary>
    public async Task<AlertRuleInfo> GetAlertRuleAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "alerts/rules", Query(("name", name)), null, cancellationToken);
        return ReadRule(document.RootElement.GetProperty("rule"));
    }

    /// <summary>Every rule, by name.</summary>
    public async Task<IReadOnlyList<AlertRuleInfo>> ListAlertRulesAsync(CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Get, "alerts/rules/list", null, null, cancellationToken);
        return [.. document.RootElement.GetProperty("rules").EnumerateArray().Select(ReadRule)];
    }

    /// <summary>Deletes a rule; its events stay as history.</summary>
    public async Task DeleteAlertRuleAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await SendKeelAsync(HttpMethod.Delete, "alerts/rules", null, w => w.WriteString("name", name), cancellationToken);
    }

    /// <summary>Events newest first, every rule's or one's, with their deliveries.</summary>
    public async Task<IReadOnlyList<AlertEventInfo>> GetAlertEventsAsync(string? rule = null, long? since = null, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Get, "alerts/events",
            Query(("rule", rule), ("since", since?.ToString(CultureInfo.InvariantCulture)), ("max_results", maxResults.ToString(CultureInfo.InvariantCulture))), null, cancellationToken);
        return [.. document.RootElement.GetProperty("events").EnumerateArray().Select(e => new AlertEventInfo(ReadEvent(e),
            [.. e.GetProperty("deliveries").EnumerateArray().Select(d => new AlertDelivery(
                e.GetProperty("id").GetInt64(), d.GetProperty("url").GetString()!, d.GetProperty("status").GetString()!, d.GetProperty("attempts").GetInt32(),
                d.TryGetProperty("http_status", out var status) ? status.GetInt32() : null,
                d.TryGetProperty("error", out var error) ? error.GetString() : null, d.GetProperty("time").GetInt64()))]))];
    }

    /// <summary>Evaluates every rule now; returns the events raised.</summary>
    public async Task<IReadOnlyList<AlertEvent>> EvaluateAlertsAsync(CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Post, "alerts/evaluate", null, _ => { }, cancellationToken);
        return [.. document.RootElement.GetProperty("events").EnumerateArray().Select(ReadEvent)];
    }

    private static void NameAndRule(Utf8JsonWriter w, string name, AlertRuleSpec spec)
    {
        w.WriteString("name", name);
        w.WritePropertyName("spec");
        w.WriteRawValue(spec.ToJson());
    }

    private static AlertRuleInfo ReadRule(JsonElement e) => new(
        e.GetProperty("name").GetString()!,
        AlertRuleSpec.FromJson(e.GetProperty("spec").GetRawText()),
        e.GetProperty("state").GetString()!,
        e.TryGetProperty("state_since", out var since) ? since.GetInt64() : null,
        e.TryGetProperty("last_value", out var value) ? value.GetDouble() : null,
        e.TryGetProperty("last_evaluated", out var evaluated) ? evaluated.GetInt64() : null);

    private static AlertEvent ReadEvent(JsonElement e) => new(
        e.GetProperty("id").GetInt64(),
        e.GetProperty("rule").GetString()!,
        e.GetProperty("kind").GetString()!,
        e.GetProperty("time").GetInt64(),
        e.TryGetProperty("value", out var value) ? value.GetDouble() : null,
        e.GetProperty("severity").GetString()!,
        e.GetProperty("message").GetString()!,
        e.TryGetProperty("action", out var action) ? action.GetString() : null);
}
