using System.Globalization;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Monitoring;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Reports;

namespace Keel.Monitoring.Monitors;

/// <summary>A monitor as the API shows it.</summary>
public sealed record MonitorView(string Name, string Deployment, MonitorSpec Spec, long CreationTime, long LastUpdatedTime, long? LastRunTime);

/// <summary>
/// Monitors over deployments' inference logs: create, change, run a window (read it evenly
/// sampled up to <c>max_rows</c>, join feedback, compare with the reference, store the report and
/// its metric series), and feedback intake. No HTTP, no SQL: the server wires the stores.
/// </summary>
public sealed class MonitorService(IMonitoringStore store, IInferenceLogStore log, IMonitorReferenceSource references, TimeProvider time)
{
    public const int MaxFeedbackBatch = 10_000;
    public const int MaxRequestIdLength = 256;
    public const int MaxActualLength = 65_536;
    public const int MaxNameLength = 256;

    public async Task<MonitorView> CreateAsync(string name, MonitorSpec spec, CancellationToken ct)
    {
        CheckName(name);
        spec.Validate();
        await references.LoadAsync(spec, ct); // a reference that cannot be found fails now, not at the first run
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await store.CreateMonitorAsync(new MonitorDefinition(name, spec.Deployment, spec.ToJson(), now, now, null), ct);
        return new MonitorView(name, spec.Deployment, spec, now, now, null);
    }

    public async Task<MonitorView> UpdateAsync(string name, MonitorSpec spec, CancellationToken ct)
    {
        var existing = await GetAsync(name, ct);
        spec.Validate();
        await references.LoadAsync(spec, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await store.UpdateMonitorAsync(new MonitorDefinition(name, spec.Deployment, spec.ToJson(), existing.CreationTime, now, existing.LastRunTime), ct))
        {
            throw NotFound(name);
        }

        return existing with { Deployment = spec.Deployment, Spec = spec, LastUpdatedTime = now };
    }

    public async Task<MonitorView> GetAsync(string name, CancellationToken ct) =>
        View(await store.GetMonitorAsync(name, ct) ?? throw NotFound(name));

    public async Task<IReadOnlyList<MonitorView>> ListAsync(string? deployment, CancellationToken ct) =>
        [.. (await store.ListMonitorsAsync(deployment, ct)).Select(View)];

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteMonitorAsync(name, ct))
        {
            throw NotFound(name);
        }
    }

    /// <summary>
    /// Monitors whose schedule says they should run now, each claimed in the store first, so that
    /// of several replicas sharing a database only one runs a given window.
    /// </summary>
    public async Task<IReadOnlyList<MonitorView>> DueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = new List<MonitorView>();
        foreach (var monitor in await ListAsync(null, ct))
        {
            var due = now - (monitor.Spec.ScheduleSeconds * 1000);
            if (monitor.Spec.ScheduleSeconds > 0 && (monitor.LastRunTime is not { } last || last <= due)
                && await store.TryClaimRunAsync(monitor.Name, now, due, ct))
            {
                claimed.Add(monitor);
            }
        }

        return claimed;
    }

    /// <summary>Computes and stores the window ending at <paramref name="windowEnd"/> (now when null) and returns its report.</summary>
    public async Task<MonitoringReport> RunAsync(string name, long? windowEnd, CancellationToken ct)
    {
        var monitor = await GetAsync(name, ct);
        var spec = monitor.Spec;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var end = windowEnd ?? now;
        var reference = await references.LoadAsync(spec, ct);

        // Even sampling of a window larger than max_rows keeps memory to the configuration.
        IReadOnlyList<InferenceRecord> records;
        long start, inWindow;
        var stride = 1;
        if (spec.WindowRequests is { } requests)
        {
            records = await log.QueryAsync(new InferenceQuery(spec.Deployment, Until: end, Shadow: false, Limit: Math.Min(requests, spec.MaxRows)), ct);
            inWindow = records.Count;
            start = records.Count == 0 ? end : records.Min(r => r.Time);
        }
        else
        {
            start = end - (spec.EffectiveWindowSeconds * 1000);
            var query = new InferenceQuery(spec.Deployment, start, end, Shadow: false, Limit: spec.MaxRows);
            inWindow = await log.CountAsync(query, ct);
            stride = (int)Math.Max(1, (inWindow + spec.MaxRows - 1) / spec.MaxRows);
            records = await log.QueryAsync(query with { Stride = stride }, ct);
        }

        var feedback = await store.GetFeedbackAsync([.. records.Select(r => r.RequestId)], ct);
        var window = WindowTable.Build(records, feedback, spec.Probabilities);
        var prediction = spec.Prediction ?? (window.OutputColumns.Count == 1 ? window.OutputColumns[0]
            : window.OutputColumns.Contains("label", StringComparer.Ordinal) ? "label" : null);
        if (prediction is not null && !window.Table.Contains(prediction))
        {
            prediction = null; // no traffic yet, or an output this window's requests did not have
        }

        var target = window.RowsWithActual > 0 ? WindowTable.ActualColumn : null;
        var features = spec.Features
            ?? [.. reference.Data.Columns.Where(c => window.InputColumns.Contains(c, StringComparer.Ordinal) && c != spec.Reference.Target)];
        var options = new ReportOptions
        {
            Title = $"Monitor {name}: deployment {spec.Deployment}",
            Target = target,
            Prediction = prediction,
            ReferenceTarget = spec.Reference.Target,
            Task = spec.Task,
            Drift = (spec.Drift ?? DriftOptions.Default) with { Features = features },
            Scores = window.Probabilities,
            Classes = window.Probabilities is { Count: > 0 } probabilities ? spec.Classes ?? IndexClasses(probabilities[0].Length) : null,
        };
        var windowText = string.Create(CultureInfo.InvariantCulture, $"{spec.Deployment} {DateTimeOffset.FromUnixTimeMilliseconds(start):u} – {DateTimeOffset.FromUnixTimeMilliseconds(end):u}");
        MonitoringReport report;
        try
        {
            report = ReportBuilder.Build(reference.Data, null, window.Table, reference.Description, windowText, options, time);
        }
        catch (ArgumentException e)
        {
            throw KeelException.Invalid($"Monitor '{name}': {e.Message}");
        }

        report = report with
        {
            PerformanceEstimate = Estimate(window, prediction),
            Window = new ReportWindow(name, spec.Deployment, start, end, inWindow, records.Count, stride, window.Table.RowCount, window.RowsWithActual, window.UnreadableRequests),
        };
        await store.SaveResultAsync(
            new MonitorResult(name, start, end, now, window.Table.RowCount, report.DataDrift.DatasetDrift, report.ToJson()),
            MonitorMetrics.From(name, end, report),
            ct);
        return report;
    }

    public async Task<IReadOnlyList<MonitorResult>> ResultsAsync(string name, long? since, long? until, int limit, CancellationToken ct)
    {
        await GetAsync(name, ct);
        return await store.ListResultsAsync(name, since, until, limit, reports: false, ct);
    }

    /// <summary>The stored report of the window ending at <paramref name="windowEnd"/>, or of the latest window.</summary>
    public async Task<MonitoringReport> ReportAsync(string name, long? windowEnd, CancellationToken ct)
    {
        await GetAsync(name, ct);
        var results = await store.ListResultsAsync(name, windowEnd, windowEnd, 1, reports: true, ct);
        var result = results.FirstOrDefault() ?? throw KeelException.NotFound(windowEnd is null
            ? $"Monitor '{name}' has not run yet."
            : $"Monitor '{name}' has no window ending at {windowEnd}.");
        return MonitoringReport.FromJson(result.ReportJson!);
    }

    public async Task<IReadOnlyList<MonitorMetric>> MetricsAsync(string name, string? feature, string? metric, long? since, long? until, CancellationToken ct)
    {
        await GetAsync(name, ct);
        return await store.QueryMetricsAsync(name, feature, metric, since, until, ct);
    }

    /// <summary>Checks and stores a batch of ground truth; unknown request ids are counted, never an error for the batch.</summary>
    public Task<FeedbackResult> AddFeedbackAsync(IReadOnlyList<FeedbackItem> items, CancellationToken ct)
    {
        if (items.Count > MaxFeedbackBatch)
        {
            throw KeelException.Invalid($"'feedback' holds {items.Count} items; at most {MaxFeedbackBatch} per request.");
        }

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (string.IsNullOrEmpty(item.RequestId) || item.RequestId.Length > MaxRequestIdLength)
            {
                throw KeelException.Invalid($"feedback[{i}].request_id must be 1 to {MaxRequestIdLength} characters.");
            }

            if (item.Actual is null || item.Actual.Length > MaxActualLength)
            {
                throw KeelException.Invalid($"feedback[{i}].actual is required and at most {MaxActualLength} characters of JSON.");
            }

            try
            {
                using var document = JsonDocument.Parse(item.Actual);
                if (document.RootElement.ValueKind is JsonValueKind.Object)
                {
                    throw KeelException.Invalid($"feedback[{i}].actual must be a value (number, string, boolean) or an array of them, one per scored row.");
                }
            }
            catch (JsonException e)
            {
                throw KeelException.Invalid($"feedback[{i}].actual is not valid JSON: {e.Message}");
            }
        }

        return store.AddFeedbackAsync(items, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
    }

    /// <summary>CBPE's accuracy from the rows' largest probability, beside the accuracy measured where labels arrived.</summary>
    private static PerformanceEstimate? Estimate(WindowTable window, string? prediction)
    {
        if (window.Probabilities is not { Count: > 0 } probabilities)
        {
            return null;
        }

        var confidence = probabilities.Select(p => p.Length == 0 ? double.NaN : p.Max()).ToArray();
        var actual = window.Table[WindowTable.ActualColumn];
        var predicted = prediction is null ? null : window.Table[prediction];
        double labelled = 0, correct = 0, confidenceOnLabelled = 0;
        for (var row = 0; row < confidence.Length && predicted is not null; row++)
        {
            if (actual.GetString(row) is { } truth && predicted.GetString(row) is { } guess)
            {
                labelled++;
                correct += string.Equals(truth, guess, StringComparison.Ordinal) ? 1 : 0;
                confidenceOnLabelled += confidence[row];
            }
        }

        return new PerformanceEstimate(
            "cbpe",
            confidence.Length,
            confidence.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(),
            (long)labelled,
            labelled == 0 ? null : confidenceOnLabelled / labelled,
            labelled == 0 ? null : correct / labelled);
    }

    /// <summary>"0", "1", … for a probabilities output of <paramref name="width"/> columns.</summary>
    private static string[] IndexClasses(int width) => [.. Enumerable.Range(0, width).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static MonitorView View(MonitorDefinition d) =>
        new(d.Name, d.Deployment, MonitorSpec.FromJson(d.SpecJson), d.CreationTime, d.LastUpdatedTime, d.LastRunTime);

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl) || name.Contains('/', StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"'name' must be 1 to {MaxNameLength} characters without '/' or control characters, got '{name}'.");
        }
    }

    private static KeelException NotFound(string name) => KeelException.NotFound($"Monitor '{name}' does not exist.");
}
