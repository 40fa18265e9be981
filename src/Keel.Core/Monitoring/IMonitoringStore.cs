namespace Keel.Core.Monitoring;

/// <summary>Ground truth for one logged prediction: <see cref="Actual"/> is a JSON value (one per row the request scored: a scalar, or an array as long as the request's rows).</summary>
public sealed record FeedbackItem(string RequestId, string Actual);

/// <summary>Feedback as stored: the deployment comes from the request's inference record.</summary>
public sealed record StoredFeedback(string RequestId, string Deployment, string Actual, long Time);

/// <summary>
/// What a feedback batch did: <see cref="Accepted"/> items stored (of which <see cref="Replaced"/>
/// replaced earlier feedback for the same request: the latest wins), <see cref="Unknown"/> whose
/// request id the inference log does not hold (the first 100 of them listed).
/// </summary>
public sealed record FeedbackResult(int Accepted, int Replaced, int Unknown, IReadOnlyList<string> UnknownRequestIds);

/// <summary>A monitor as stored: its spec is JSON that the monitoring engine owns.</summary>
public sealed record MonitorDefinition(
    string Name,
    string Deployment,
    string SpecJson,
    long CreationTime,
    long LastUpdatedTime,
    long? LastRunTime);

/// <summary>One window's outcome: the report is the engine's JSON; <see cref="Rows"/> the rows it covered.</summary>
public sealed record MonitorResult(
    string Monitor,
    long WindowStart,
    long WindowEnd,
    long ComputedTime,
    long Rows,
    bool DatasetDrift,
    string? ReportJson);

/// <summary>One point of a monitor's time series: a window-level metric has an empty <see cref="Feature"/>.</summary>
public sealed record MonitorMetric(string Monitor, long WindowEnd, string Feature, string Metric, double Value);

/// <summary>Durable storage of feedback, monitors, their window results and metric time series.</summary>
public interface IMonitoringStore
{
    /// <summary>
    /// Stores each item whose request id is a live record of the inference log, in one transaction;
    /// a request id given twice (in this batch or before) keeps the latest actual.
    /// </summary>
    Task<FeedbackResult> AddFeedbackAsync(IReadOnlyList<FeedbackItem> items, long now, CancellationToken ct);

    Task<IReadOnlyDictionary<string, StoredFeedback>> GetFeedbackAsync(IReadOnlyCollection<string> requestIds, CancellationToken ct);

    /// <summary>Throws RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task CreateMonitorAsync(MonitorDefinition monitor, CancellationToken ct);

    /// <summary>Replaces deployment and spec; false when there is no such monitor.</summary>
    Task<bool> UpdateMonitorAsync(MonitorDefinition monitor, CancellationToken ct);

    Task<MonitorDefinition?> GetMonitorAsync(string name, CancellationToken ct);

    /// <summary>By name; one deployment's only when <paramref name="deployment"/> is given.</summary>
    Task<IReadOnlyList<MonitorDefinition>> ListMonitorsAsync(string? deployment, CancellationToken ct);

    /// <summary>Deletes the monitor with its results and metrics; false when there was none.</summary>
    Task<bool> DeleteMonitorAsync(string name, CancellationToken ct);

    /// <summary>
    /// Marks a scheduled run as taken by this process when the monitor last ran at or before
    /// <paramref name="dueBefore"/> (or never): false when another replica took it first.
    /// </summary>
    Task<bool> TryClaimRunAsync(string name, long now, long dueBefore, CancellationToken ct);

    /// <summary>Stores (or replaces) the result of the window ending at <see cref="MonitorResult.WindowEnd"/> with its metrics, and marks the monitor run.</summary>
    Task SaveResultAsync(MonitorResult result, IReadOnlyList<MonitorMetric> metrics, CancellationToken ct);

    /// <summary>Newest first; reports only when <paramref name="reports"/>.</summary>
    Task<IReadOnlyList<MonitorResult>> ListResultsAsync(string monitor, long? since, long? until, int limit, bool reports, CancellationToken ct);

    /// <summary>The newest point of one series, or null when it has none.</summary>
    Task<MonitorMetric?> LatestMetricAsync(string monitor, string feature, string metric, CancellationToken ct);

    /// <summary>Oldest first; every feature or metric when null.</summary>
    Task<IReadOnlyList<MonitorMetric>> QueryMetricsAsync(string monitor, string? feature, string? metric, long? since, long? until, CancellationToken ct);
}
