using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Monitoring;
using Keel.Core.Tracking;
using Keel.Storage.Sql;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Storage.Tests.Monitoring;

/// <summary>Feedback, monitors, window results and metric series on every SQL back end.</summary>
public abstract class MonitoringStoreContract : IAsyncLifetime
{
    private ITrackingStore _tracking = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    private IMonitoringStore Store { get; set; } = null!;

    private IInferenceLogStore Log { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _tracking = await OpenStoreAsync();
        await new TrackingService(_tracking, new FakeTimeProvider(), new TrackingOptions()).InitializeAsync(CancellationToken.None);
        Store = TrackingStoreFactory.OpenMonitoring(_tracking);
        Log = TrackingStoreFactory.OpenInferenceLog(_tracking);
    }

    public async Task DisposeAsync()
    {
        if (_tracking is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task Feedback_joins_live_requests_keeps_the_latest_and_counts_unknown_ids()
    {
        await Log.AppendAsync(
        [
            new InferenceRecord("r1", "fraud", "m", "1", "primary", false, 1_000, 1, 200, null, "{}", "{}"),
            new InferenceRecord("r2", "fraud", "m", "1", "primary", false, 1_001, 1, 200, null, "{}", "{}"),
            new InferenceRecord("r2", "fraud", "m", "2", "shadow", true, 1_001, 1, 200, null, "{}", "{}"),
            new InferenceRecord("s1", "other", "m", "2", "shadow", true, 1_002, 1, 200, null, "{}", "{}"),
        ], default);

        var first = await Store.AddFeedbackAsync([new("r1", "1"), new("r2", "0"), new("r2", "2"), new("nope", "1"), new("s1", "1")], 5_000, default);
        Assert.Equal(2, first.Accepted);
        Assert.Equal(1, first.Replaced); // r2's first item
        Assert.Equal(2, first.Unknown); // an id never logged, and one only a shadow answered
        Assert.Equal(["nope", "s1"], first.UnknownRequestIds.Order(StringComparer.Ordinal));

        var second = await Store.AddFeedbackAsync([new("r1", "\"spam\"")], 6_000, default);
        Assert.Equal(1, second.Replaced);
        var stored = await Store.GetFeedbackAsync(["r1", "r2", "nope"], default);
        Assert.Equal(2, stored.Count);
        Assert.Equal(new StoredFeedback("r1", "fraud", "\"spam\"", 6_000), stored["r1"]);
        Assert.Equal("2", stored["r2"].Actual);
    }

    [Fact]
    public async Task Monitors_round_trip_and_a_window_result_replaces_itself_with_its_metrics()
    {
        var monitor = new MonitorDefinition("fraud-drift", "fraud", "{\"a\":1}", 1_000, 1_000, null);
        await Store.CreateMonitorAsync(monitor, default);
        var duplicate = await Assert.ThrowsAsync<KeelException>(() => Store.CreateMonitorAsync(monitor, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.Code);
        Assert.True(await Store.UpdateMonitorAsync(monitor with { SpecJson = "{\"a\":2}", LastUpdatedTime = 2_000 }, default));
        Assert.False(await Store.UpdateMonitorAsync(monitor with { Name = "absent" }, default));
        await Store.CreateMonitorAsync(new MonitorDefinition("b", "other", "{}", 1, 1, null), default);
        Assert.Equal(["b", "fraud-drift"], (await Store.ListMonitorsAsync(null, default)).Select(m => m.Name));
        Assert.Equal(["fraud-drift"], (await Store.ListMonitorsAsync("fraud", default)).Select(m => m.Name));

        for (var window = 1; window <= 3; window++)
        {
            await Store.SaveResultAsync(
                new MonitorResult("fraud-drift", window * 100, (window * 100) + 100, 9_000 + window, 10 * window, window == 3, $"{{\"w\":{window}}}"),
                [new("fraud-drift", 0, "", "drift_share", window / 10.0), new("fraud-drift", 0, "amount", "psi", window), new("fraud-drift", 0, "amount", "nan", double.NaN)],
                default);
        }

        // A scheduled run is claimed once: a second replica with the same view of the schedule gets false.
        Assert.True(await Store.TryClaimRunAsync("b", 5_000, 4_000, default));
        Assert.False(await Store.TryClaimRunAsync("b", 5_001, 4_000, default));
        Assert.True(await Store.TryClaimRunAsync("b", 9_000, 5_000, default));

        // Computing window 2 again replaces it and its metrics.
        await Store.SaveResultAsync(new MonitorResult("fraud-drift", 200, 300, 9_999, 99, true, "{\"w\":22}"), [new("fraud-drift", 0, "amount", "psi", 7)], default);
        var read = (await Store.GetMonitorAsync("fraud-drift", default))!;
        Assert.Equal("{\"a\":2}", read.SpecJson);
        Assert.Equal(9_999, read.LastRunTime);

        var results = await Store.ListResultsAsync("fraud-drift", null, null, 10, reports: true, default);
        Assert.Equal([400, 300, 200], results.Select(r => r.WindowEnd));
        Assert.Equal("{\"w\":22}", results[1].ReportJson);
        Assert.Null((await Store.ListResultsAsync("fraud-drift", 300, 300, 10, reports: false, default)).Single().ReportJson);

        var psi = await Store.QueryMetricsAsync("fraud-drift", "amount", "psi", null, null, default);
        Assert.Equal([(200L, 1.0), (300L, 7.0), (400L, 3.0)], psi.Select(p => (p.WindowEnd, p.Value)));
        Assert.Empty(await Store.QueryMetricsAsync("fraud-drift", "amount", "nan", null, null, default));
        // Window 300's replacement dropped its window-level metric: only window 400's is left after 250.
        Assert.Equal([400L], (await Store.QueryMetricsAsync("fraud-drift", "", null, 250, null, default)).Select(p => p.WindowEnd));

        Assert.True(await Store.DeleteMonitorAsync("fraud-drift", default));
        Assert.Empty(await Store.ListResultsAsync("fraud-drift", null, null, 10, reports: false, default));
        Assert.Empty(await Store.QueryMetricsAsync("fraud-drift", null, null, null, null, default));
        Assert.False(await Store.DeleteMonitorAsync("fraud-drift", default));
    }
}

public abstract class AlertStoreContract : IAsyncLifetime
{
    private ITrackingStore _tracking = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    private IAlertStore Store { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _tracking = await OpenStoreAsync();
        await new TrackingService(_tracking, new FakeTimeProvider(), new TrackingOptions()).InitializeAsync(CancellationToken.None);
        Store = TrackingStoreFactory.OpenAlerts(_tracking);
    }

    public async Task DisposeAsync()
    {
        if (_tracking is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rules_keep_their_state_and_events_and_deliveries_outlive_the_rule()
    {
        await Store.CreateRuleAsync(new AlertRuleRecord("drift", "{}", AlertStates.Ok, null, null, null, 1, 1), default);
        var duplicate = await Assert.ThrowsAsync<KeelException>(() => Store.CreateRuleAsync(new AlertRuleRecord("drift", "{}", AlertStates.Ok, null, null, null, 1, 1), default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.Code);
        Assert.True(await Store.UpdateRuleSpecAsync("drift", "{\"metric\":\"x\"}", 2, default));
        Assert.False(await Store.UpdateRuleSpecAsync("absent", "{}", 2, default));

        Assert.Null(await Store.SaveEvaluationAsync("drift", null, AlertStates.Pending, 10, 0.7, 10, null, default));
        var id = await Store.SaveEvaluationAsync("drift", 10, AlertStates.Firing, 20, 0.8, 20, new AlertEvent(0, "drift", AlertStates.Firing, 20, 0.8, "warning", "drift firing", "pipeline:x"), default);

        // A second replica that read the rule before that evaluation stores nothing: one event, not two.
        Assert.Null(await Store.SaveEvaluationAsync("drift", 10, AlertStates.Firing, 20, 0.8, 21, new AlertEvent(0, "drift", AlertStates.Firing, 21, 0.8, "warning", "drift firing", null), default));
        var second = await Store.SaveEvaluationAsync("drift", 20, AlertStates.Ok, 30, double.NaN, 30, new AlertEvent(0, "drift", AlertStates.Resolved, 30, null, "warning", "drift resolved", null), default);
        Assert.True(second > id);
        var rule = (await Store.GetRuleAsync("drift", default))!;
        Assert.Equal((AlertStates.Ok, 30L, (double?)null, 30L, "{\"metric\":\"x\"}"), (rule.State, rule.StateSince!.Value, rule.LastValue, rule.LastEvaluated!.Value, rule.SpecJson));

        await Store.AddDeliveryAsync(new AlertDelivery(id!.Value, "http://127.0.0.1:1/hook", "failed", 6, 500, "HTTP 500", 25), default);
        await Store.AddDeliveryAsync(new AlertDelivery(id.Value, "http://127.0.0.1:2/hook", "delivered", 1, 200, null, 26), default);
        Assert.True(await Store.DeleteRuleAsync("drift", default));
        Assert.Empty(await Store.ListRulesAsync(default));
        var events = await Store.ListEventsAsync("drift", null, 10, default);
        Assert.Equal([AlertStates.Resolved, AlertStates.Firing], events.Select(e => e.Kind));
        Assert.Equal(("pipeline:x", 0.8), (events[1].Action, events[1].Value!.Value));
        Assert.Single(await Store.ListEventsAsync(null, 30, 10, default));
        var deliveries = await Store.ListDeliveriesAsync(id.Value, default);
        Assert.Equal([("failed", 6, (int?)500), ("delivered", 1, (int?)200)], deliveries.Select(d => (d.Status, d.Attempts, d.HttpStatus)));
    }
}

public sealed class SqliteAlertStoreTests : AlertStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresAlertStoreTests : AlertStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "alerts_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return TrackingStoreFactory.Open(server.UriFor(database));
    }
}

public sealed class SqliteMonitoringStoreTests : MonitoringStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresMonitoringStoreTests : MonitoringStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "monitoring_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return TrackingStoreFactory.Open(server.UriFor(database));
    }
}
