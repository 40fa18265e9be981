namespace Keel.Core.Monitoring;

/// <summary>States of an alert rule: its condition is false, true for less than its for-duration, or firing.</summary>
public static class AlertStates
{
    public const string Ok = "ok";
    public const string Pending = "pending";
    public const string Firing = "firing";
    public const string Resolved = "resolved";
}

/// <summary>An alert rule as stored: the spec is JSON the monitoring engine owns; the state is the evaluator's.</summary>
public sealed record AlertRuleRecord(
    string Name,
    string SpecJson,
    string State,
    long? StateSince,
    double? LastValue,
    long? LastEvaluated,
    long CreationTime,
    long LastUpdatedTime);

/// <summary>A rule began firing (<see cref="AlertStates.Firing"/>) or stopped (<see cref="AlertStates.Resolved"/>).</summary>
public sealed record AlertEvent(long Id, string Rule, string Kind, long Time, double? Value, string Severity, string Message, string? Action);

/// <summary>One webhook delivery of an event: <c>delivered</c> or <c>failed</c> after <see cref="Attempts"/> tries.</summary>
public sealed record AlertDelivery(long EventId, string Url, string Status, int Attempts, int? HttpStatus, string? Error, long Time);

/// <summary>Alert rules, their state, the events they raised and the webhook deliveries of those.</summary>
public interface IAlertStore
{
    /// <summary>Throws RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task CreateRuleAsync(AlertRuleRecord rule, CancellationToken ct);

    /// <summary>Replaces the spec (state kept); false when there is no such rule.</summary>
    Task<bool> UpdateRuleSpecAsync(string name, string specJson, long now, CancellationToken ct);

    Task<AlertRuleRecord?> GetRuleAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<AlertRuleRecord>> ListRulesAsync(CancellationToken ct);

    /// <summary>Deletes the rule (its events and deliveries stay, as history); false when there was none.</summary>
    Task<bool> DeleteRuleAsync(string name, CancellationToken ct);

    /// <summary>
    /// Stores the evaluator's state and, in the same transaction, the event the transition raised
    /// (its id returned) — only when the rule was last evaluated at <paramref name="previousEvaluation"/>:
    /// a replica that evaluated it in between wins, and this evaluation stores nothing (null).
    /// </summary>
    Task<long?> SaveEvaluationAsync(string name, long? previousEvaluation, string state, long? stateSince, double? value, long evaluated, AlertEvent? raised, CancellationToken ct);

    /// <summary>Newest first; one rule's when named.</summary>
    Task<IReadOnlyList<AlertEvent>> ListEventsAsync(string? rule, long? since, int limit, CancellationToken ct);

    Task AddDeliveryAsync(AlertDelivery delivery, CancellationToken ct);

    Task<IReadOnlyList<AlertDelivery>> ListDeliveriesAsync(long eventId, CancellationToken ct);
}
