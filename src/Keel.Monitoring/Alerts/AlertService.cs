using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Monitoring;

namespace Keel.Monitoring.Alerts;

/// <summary>An alert rule as the API shows it (webhook secrets redacted).</summary>
public sealed record AlertRuleView(string Name, AlertRuleSpec Spec, string State, long? StateSince, double? LastValue, long? LastEvaluated, long CreationTime, long LastUpdatedTime);

/// <summary>An event to deliver to a rule's webhooks.</summary>
public sealed record AlertNotification(AlertEvent Event, AlertRuleSpec Rule);

/// <summary>Delivers events to webhooks (the server sends them over HTTP with retries).</summary>
public interface IAlertNotifier
{
    /// <summary>Queues the delivery; never blocks the evaluation.</summary>
    void Enqueue(AlertNotification notification);
}

/// <summary>
/// Alert rules: evaluation of every rule (the scheduler calls <see cref="EvaluateAsync"/> each tick),
/// state transitions ok → pending → firing → ok with an event on firing and on resolving, and the
/// events handed to the notifier. No data (a monitor that has not run, a deployment without
/// traffic for a latency figure) leaves the condition false.
/// </summary>
public sealed class AlertService(IAlertStore store, IMonitoringStore monitoring, IInferenceLogStore log, IAlertNotifier notifier, TimeProvider time)
{
    public const int MaxNameLength = 256;
    public const int MaxRecordsPerEvaluation = 100_000;

    public async Task<AlertRuleView> CreateAsync(string name, AlertRuleSpec spec, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            throw KeelException.Invalid($"'name' must be 1 to {MaxNameLength} characters without control characters.");
        }

        spec.Validate();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await store.CreateRuleAsync(new AlertRuleRecord(name, spec.ToJson(), AlertStates.Ok, null, null, null, now, now), ct);
        return await GetAsync(name, ct);
    }

    public async Task<AlertRuleView> UpdateAsync(string name, AlertRuleSpec spec, CancellationToken ct)
    {
        spec.Validate();
        if (!await store.UpdateRuleSpecAsync(name, spec.ToJson(), time.GetUtcNow().ToUnixTimeMilliseconds(), ct))
        {
            throw NotFound(name);
        }

        return await GetAsync(name, ct);
    }

    public async Task<AlertRuleView> GetAsync(string name, CancellationToken ct) => View(await store.GetRuleAsync(name, ct) ?? throw NotFound(name));

    public async Task<IReadOnlyList<AlertRuleView>> ListAsync(CancellationToken ct) => [.. (await store.ListRulesAsync(ct)).Select(View)];

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteRuleAsync(name, ct))
        {
            throw NotFound(name);
        }
    }

    public Task<IReadOnlyList<AlertEvent>> EventsAsync(string? rule, long? since, int limit, CancellationToken ct) => store.ListEventsAsync(rule, since, limit, ct);

    public Task<IReadOnlyList<AlertDelivery>> DeliveriesAsync(long eventId, CancellationToken ct) => store.ListDeliveriesAsync(eventId, ct);

    /// <summary>Evaluates every rule once; returns the events raised.</summary>
    public async Task<IReadOnlyList<AlertEvent>> EvaluateAsync(CancellationToken ct)
    {
        var raised = new List<AlertEvent>();
        foreach (var record in await store.ListRulesAsync(ct))
        {
            var spec = AlertRuleSpec.FromJson(record.SpecJson);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var value = await ValueAsync(spec, now, ct);
            var holds = value is { } v && spec.Holds(v);
            var (state, since, kind) = Next(record, spec, holds, now);
            AlertEvent? happened = kind is null ? null : new AlertEvent(0, record.Name, kind, now, value, spec.Severity, Message(record.Name, spec, kind, value), spec.Action);
            var id = await store.SaveEvaluationAsync(record.Name, record.LastEvaluated, state, since, value, now, happened, ct);
            if (happened is not null && id is { } eventId)
            {
                var stored = happened with { Id = eventId };
                raised.Add(stored);
                if (spec.Webhooks is { Count: > 0 })
                {
                    notifier.Enqueue(new AlertNotification(stored, spec));
                }
            }
        }

        return raised;
    }

    /// <summary>ok → pending (or straight to firing without a for-duration) → firing once held long enough → ok (resolved) when it stops holding.</summary>
    private static (string State, long? Since, string? Event) Next(AlertRuleRecord rule, AlertRuleSpec spec, bool holds, long now)
    {
        var forMs = spec.ForSeconds * 1000;
        return (rule.State, holds) switch
        {
            (AlertStates.Firing, true) => (AlertStates.Firing, rule.StateSince, null),
            (AlertStates.Firing, false) => (AlertStates.Ok, now, AlertStates.Resolved),
            (AlertStates.Pending, true) when now - (rule.StateSince ?? now) >= forMs => (AlertStates.Firing, now, AlertStates.Firing),
            (AlertStates.Pending, true) => (AlertStates.Pending, rule.StateSince, null),
            (_, true) when forMs == 0 => (AlertStates.Firing, now, AlertStates.Firing),
            (_, true) => (AlertStates.Pending, now, null),
            _ => (AlertStates.Ok, rule.State == AlertStates.Ok ? rule.StateSince : now, null),
        };
    }

    private async Task<double?> ValueAsync(AlertRuleSpec spec, long now, CancellationToken ct)
    {
        if (spec.Monitor is { } monitor)
        {
            return (await monitoring.LatestMetricAsync(monitor, spec.Feature, spec.Metric, ct))?.Value;
        }

        var query = new InferenceQuery(spec.Deployment!, now - (spec.WindowSeconds * 1000), now + 1, Shadow: false, Limit: MaxRecordsPerEvaluation, Payloads: false);
        if (spec.Metric is "requests" or "request_rate")
        {
            var count = await log.CountAsync(query, ct);
            return spec.Metric == "requests" ? count : count / (double)spec.WindowSeconds;
        }

        var records = await log.QueryAsync(query, ct);
        if (records.Count == 0)
        {
            return null;
        }

        return spec.Metric switch
        {
            "error_rate" => RouteFigures.Of(records).ErrorRate,
            "p99_latency_ms" => RouteFigures.Of(records).P99Ms,
            _ => RouteFigures.Percentile([.. records.Select(r => r.LatencyMs)], 0.5),
        };
    }

    private static string Message(string name, AlertRuleSpec spec, string kind, double? value)
    {
        var subject = spec.Monitor is { } m
            ? $"monitor {m} {(spec.Feature.Length > 0 ? spec.Feature + "." : "")}{spec.Metric}"
            : $"deployment {spec.Deployment} {spec.Metric} over {spec.WindowSeconds}s";
        var shown = value is { } v ? v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) : "no data";
        return kind == AlertStates.Firing
            ? $"{name} firing: {subject} = {shown} {spec.Comparison} {spec.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{name} resolved: {subject} = {shown}";
    }

    private static AlertRuleView View(AlertRuleRecord r) =>
        new(r.Name, AlertRuleSpec.FromJson(r.SpecJson).Redacted(), r.State, r.StateSince, r.LastValue, r.LastEvaluated, r.CreationTime, r.LastUpdatedTime);

    private static KeelException NotFound(string name) => KeelException.NotFound($"Alert rule '{name}' does not exist.");
}
