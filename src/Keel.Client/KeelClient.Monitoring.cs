using System.Globalization;
using System.Text.Json;
using Keel.Core.Monitoring;
using Keel.Monitoring.Monitors;
using Keel.Monitoring.Reports;

namespace Keel.Client;

/// <summary>A monitor as the server shows it.</summary>
public sealed record MonitorInfo(string Name, string Deployment, MonitorSpec Spec, long CreationTime, long LastUpdatedTime, long? LastRunTime);

/// <summary>One computed window of a monitor.</summary>
public sealed record MonitorWindowInfo(long WindowStart, long WindowEnd, long ComputedTime, long Rows, bool DatasetDrift);

/// <summary>Monitoring: ground truth (feedback) and monitors over deployments (issue 7).</summary>
public sealed partial class KeelClient
{
    /// <summary>Items of feedback sent per request by <see cref="LogFeedbackAsync"/> (the server takes up to 10,000).</summary>
    public const int FeedbackBatchSize = 5_000;

    /// <summary>
    /// Attaches ground truth to logged predictions by request id (X-Request-Id), in batches.
    /// <c>Actual</c> of each item is a JSON value — a label or number, or an array with one per row
    /// the request scored. Unknown request ids are counted, never an error; the latest feedback for
    /// a request wins.
    /// </summary>
    public async Task<FeedbackResult> LogFeedbackAsync(IEnumerable<FeedbackItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        int accepted = 0, replaced = 0, unknown = 0;
        var unknownIds = new List<string>();
        foreach (var batch in items.Chunk(FeedbackBatchSize))
        {
            using var document = await SendKeelAsync(HttpMethod.Post, "feedback", null, w =>
            {
                w.WriteStartArray("feedback");
                foreach (var item in batch)
                {
                    w.WriteStartObject();
                    w.WriteString("request_id", item.RequestId);
                    w.WritePropertyName("actual");
                    w.WriteRawValue(item.Actual);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }, cancellationToken);
            var root = document.RootElement;
            accepted += root.GetProperty("accepted").GetInt32();
            replaced += root.GetProperty("replaced").GetInt32();
            unknown += root.GetProperty("unknown").GetInt32();
            unknownIds.AddRange(root.GetProperty("unknown_request_ids").EnumerateArray().Select(e => e.GetString()!).Take(100 - unknownIds.Count));
        }

        return new FeedbackResult(accepted, replaced, unknown, unknownIds);
    }

    /// <summary>Creates a monitor over a deployment (the reference must exist: it is checked now).</summary>
    public async Task<MonitorInfo> CreateMonitorAsync(string name, MonitorSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        using var document = await SendKeelAsync(HttpMethod.Post, "monitors", null, w => NameAndSpec(w, name, spec), cancellationToken);
        return ReadMonitor(document.RootElement.GetProperty("monitor"));
    }

    /// <summary>Replaces a monitor's spec.</summary>
    public async Task<MonitorInfo> UpdateMonitorAsync(string name, MonitorSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        using var document = await SendKeelAsync(HttpMethod.Patch, "monitors", null, w => NameAndSpec(w, name, spec), cancellationToken);
        return ReadMonitor(document.RootElement.GetProperty("monitor"));
    }

    /// <summary>One monitor with its spec and when it last ran.</summary>
    public async Task<MonitorInfo> GetMonitorAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "monitors", Query(("name", name)), null, cancellationToken);
        return ReadMonitor(document.RootElement.GetProperty("monitor"));
    }

    /// <summary>Every monitor, or one deployment's.</summary>
    public async Task<IReadOnlyList<MonitorInfo>> ListMonitorsAsync(string? deployment = null, CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Get, "monitors/list", Query(("deployment", deployment)), null, cancellationToken);
        return [.. document.RootElement.GetProperty("monitors").EnumerateArray().Select(ReadMonitor)];
    }

    /// <summary>Deletes a monitor with its results.</summary>
    public async Task DeleteMonitorAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await SendKeelAsync(HttpMethod.Delete, "monitors", null, w => w.WriteString("name", name), cancellationToken);
    }

    /// <summary>Computes the window ending at <paramref name="windowEnd"/> (Unix ms; now when null), stores it and returns its report.</summary>
    public async Task<MonitoringReport> RunMonitorAsync(string name, long? windowEnd = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Post, "monitors/run", null, w =>
        {
            w.WriteString("name", name);
            if (windowEnd is { } end)
            {
                w.WriteNumber("window_end", end);
            }
        }, cancellationToken);
        return MonitoringReport.FromJson(document.RootElement.GetProperty("report").GetRawText());
    }

    /// <summary>The monitor's computed windows, newest first.</summary>
    public async Task<IReadOnlyList<MonitorWindowInfo>> GetMonitorResultsAsync(
        string name, long? since = null, long? until = null, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "monitors/results",
            Query(("name", name), ("since", Text(since)), ("until", Text(until)), ("max_results", maxResults.ToString(CultureInfo.InvariantCulture))), null, cancellationToken);
        return [.. document.RootElement.GetProperty("results").EnumerateArray().Select(e => new MonitorWindowInfo(
            e.GetProperty("window_start").GetInt64(), e.GetProperty("window_end").GetInt64(), e.GetProperty("computed_time").GetInt64(),
            e.GetProperty("rows").GetInt64(), e.GetProperty("dataset_drift").GetBoolean()))];
    }

    /// <summary>The stored report of a window (the latest when <paramref name="windowEnd"/> is null).</summary>
    public async Task<MonitoringReport> GetMonitorReportAsync(string name, long? windowEnd = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "monitors/report", Query(("name", name), ("window_end", Text(windowEnd))), null, cancellationToken);
        return MonitoringReport.FromJson(document.RootElement.GetProperty("report").GetRawText());
    }

    /// <summary>A monitor's time series, oldest first: every point, or one feature's (<c>""</c> for window-level metrics) or one metric's.</summary>
    public async Task<IReadOnlyList<MonitorMetric>> GetMonitorMetricsAsync(
        string name, string? feature = null, string? metric = null, long? since = null, long? until = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "monitors/metrics",
            Query(("name", name), ("feature", feature), ("metric", metric), ("since", Text(since)), ("until", Text(until))), null, cancellationToken);
        return [.. document.RootElement.GetProperty("points").EnumerateArray().Select(p => new MonitorMetric(
            name, p.GetProperty("window_end").GetInt64(), p.GetProperty("feature").GetString()!, p.GetProperty("metric").GetString()!, p.GetProperty("value").GetDouble()))];
    }

    private static string? Text(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static void NameAndSpec(Utf8JsonWriter w, string name, MonitorSpec spec)
    {
        w.WriteString("name", name);
        w.WritePropertyName("spec");
        w.WriteRawValue(spec.ToJson());
    }

    private static MonitorInfo ReadMonitor(JsonElement e) => new(
        e.GetProperty("name").GetString()!,
        e.GetProperty("deployment").GetString()!,
        MonitorSpec.FromJson(e.GetProperty("spec").GetRawText()),
        e.GetProperty("creation_time").GetInt64(),
        e.GetProperty("last_updated_time").GetInt64(),
        e.TryGetProperty("last_run_time", out var run) ? run.GetInt64() : null);
}
