using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Tracking;
using Keel.Storage.Sql;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Storage.Tests.Deployments;

/// <summary>Deployments, revisions, events and the inference log on every SQL back end.</summary>
public abstract class DeploymentStoreContract : IAsyncLifetime
{
    private ITrackingStore _tracking = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    private IDeploymentStore Store { get; set; } = null!;

    private IInferenceLogStore Log { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _tracking = await OpenStoreAsync();
        await new TrackingService(_tracking, new FakeTimeProvider(), new TrackingOptions()).InitializeAsync(CancellationToken.None);
        Store = TrackingStoreFactory.OpenDeployments(_tracking);
        Log = TrackingStoreFactory.OpenInferenceLog(_tracking);
    }

    public async Task DisposeAsync()
    {
        if (_tracking is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private static readonly DeploymentSpec Spec = new(
        [new RouteSpec("stable", "models:/fraud/3", 90), new RouteSpec("canary", "models:/fraud@challenger", 10)],
        new ShadowSpec("models:/fraud/5", 0.25), "X-Keel-Route-Key", new InferenceLogSpec(0.5, 14), new BatchingSpec(16, 2));

    [Fact]
    public async Task A_deployment_round_trips_with_its_spec_rollout_and_revisions()
    {
        var rollout = new RolloutState(new RolloutSpec("models:/fraud/6", [new RolloutStep(10, 60, null), new RolloutStep(100, null, 500)], RolloutGates.Default),
            Spec.Routes, 0, 1_000, RolloutState.Running);
        var deployment = new Deployment("fraud", "scores payments", 1, Spec, null, 1_000, 1_000);
        Assert.True(await Store.CreateAsync(deployment, new DeploymentRevision("fraud", 1, Spec, "create", "first", "ana", 1_000, ["stable=fraud/3"]), default));
        var duplicate = await Assert.ThrowsAsync<KeelException>(() => Store.CreateAsync(deployment, new DeploymentRevision("fraud", 1, Spec, "create", null, null, 1, []), default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.Code);

        var next = deployment with { Revision = 2, Rollout = rollout, LastUpdatedTime = 2_000 };
        Assert.True(await Store.UpdateAsync(next, 1, new DeploymentRevision("fraud", 2, Spec, "rollout_start", null, null, 2_000, ["stable=fraud/3", "rollout=fraud/6"]), default));
        Assert.False(await Store.UpdateAsync(next with { Revision = 3 }, 1, null, default)); // revision 1 is gone: compare-and-set fails

        var read = (await Store.GetAsync("fraud", default))!;
        Assert.Equal(2, read.Revision);
        Assert.Equal(Spec.Routes, read.Spec.Routes);
        Assert.Equal(Spec.Shadow, read.Spec.Shadow);
        Assert.Equal(Spec.InferenceLog, read.Spec.InferenceLog);
        Assert.Equal(Spec.Batching, read.Spec.Batching);
        Assert.Equal("X-Keel-Route-Key", read.Spec.StickyHeader);
        Assert.Equal(rollout.Spec.Steps, read.Rollout!.Spec.Steps);
        Assert.Equal(rollout.Baseline, read.Rollout.Baseline);

        await Store.AddEventAsync(new DeploymentEvent("fraud", 2_500, 2, "gate_passed", "ok"), default);
        var history = await Store.GetHistoryAsync("fraud", 10, default);
        Assert.Equal([2L, 1L], history.Revisions.Select(r => r.Revision));
        Assert.Equal(["stable=fraud/3", "rollout=fraud/6"], history.Revisions[0].Versions);
        Assert.Equal("gate_passed", Assert.Single(history.Events).Kind);
        Assert.Equal("first", (await Store.GetRevisionAsync("fraud", 1, default))!.Message);

        Assert.Single(await Store.ListAsync(default));
        Assert.True(await Store.DeleteAsync("fraud", default));
        Assert.Null(await Store.GetAsync("fraud", default));
        Assert.Empty((await Store.GetHistoryAsync("fraud", 10, default)).Revisions);
    }

    [Fact]
    public async Task The_inference_log_appends_in_batches_queries_windows_and_purges_by_retention()
    {
        var records = Enumerable.Range(0, 450).Select(i => new InferenceRecord(
            $"req-{i}", i % 2 == 0 ? "a" : "b", "iris", "1", i % 3 == 0 ? "canary" : "stable", i % 5 == 0, 1_000 + i, 0.5 + i, i % 7 == 0 ? 500 : 200,
            i % 7 == 0 ? "boom" : null, "{\"x\":[1]}", i % 7 == 0 ? null : "{\"predictions\":[0]}")).ToList();
        await Log.AppendAsync(records, default);
        Assert.Equal(["a", "b"], await Log.ListDeploymentsAsync(default));

        var a = await Log.QueryAsync(new InferenceQuery("a", Limit: 1000), default);
        Assert.Equal(225, a.Count);
        Assert.Equal(1_448, a[0].Time); // newest first
        Assert.Equal(records[448], a[0]);
        var window = await Log.QueryAsync(new InferenceQuery("a", Since: 1_100, Until: 1_200, Route: "canary", Shadow: false, Payloads: false), default);
        Assert.All(window, r => Assert.True(r.Time is >= 1_100 and < 1_200 && r.Route == "canary" && !r.Shadow && r.Inputs is null));
        Assert.Equal(records.Count(r => r.Deployment == "a" && r.Time is >= 1_100 and < 1_200 && r.Route == "canary" && !r.Shadow), window.Count);

        Assert.Equal(50, await Log.PurgeAsync("a", 1_100, default));
        Assert.Equal(175, (await Log.QueryAsync(new InferenceQuery("a", Limit: 1000), default)).Count);
        Assert.Equal(225, (await Log.QueryAsync(new InferenceQuery("b", Limit: 1000), default)).Count);
    }

    [Fact]
    public async Task The_inference_log_returns_the_newest_records_across_batches_in_time_order()
    {
        // Five batches whose times interleave (a slow request is logged after faster, later ones).
        var all = new List<InferenceRecord>();
        for (var batch = 0; batch < 5; batch++)
        {
            var records = Enumerable.Range(0, 40).Select(i => Record($"b{batch}-{i}", 10_000 + (batch * 30) + ((i * 7) % 40))).ToList();
            all.AddRange(records);
            await Log.AppendAsync(records, default);
        }

        var newest = await Log.QueryAsync(new InferenceQuery("d", Limit: 25), default);
        var expected = all.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Time).ThenByDescending(x => x.i).Take(25).Select(x => x.r).ToList();
        Assert.Equal(expected, newest);

        Assert.Equal(all.Count(r => r.Time is >= 10_050 and < 10_100), await Log.CountAsync(new InferenceQuery("d", Since: 10_050, Until: 10_100), default));
        Assert.Equal(200, await Log.CountAsync(new InferenceQuery("d"), default));
        Assert.Equal(0, await Log.CountAsync(new InferenceQuery("d", Since: 20_000), default));

        // Every 4th record of the 200: an even sample of the window.
        var sample = await Log.QueryAsync(new InferenceQuery("d", Limit: 1000, Stride: 4, Payloads: false), default);
        Assert.Equal(50, sample.Count);
        Assert.Equal(50, sample.Select(r => r.RequestId).Distinct().Count());
    }

    [Fact]
    public async Task Inference_payloads_read_back_as_appended_json_or_not()
    {
        var records = new List<InferenceRecord>
        {
            Record("json", 1) with { Inputs = "{\"x\": [1.5, null, \"é\"]}", Outputs = "{\"predictions\":[[0.1,0.9]]}" },
            Record("text", 2) with { Inputs = "not json {", Outputs = "[1, 2" , Error = "bad \"input\"\nline two" },
            Record("none", 3) with { Inputs = null, Outputs = null },
            Record("scalar", 4) with { Inputs = "42", Outputs = "\"text\"" },
            Record("two values", 5) with { Inputs = "1 2", Outputs = "" },
        };
        await Log.AppendAsync(records, default);

        var read = await Log.QueryAsync(new InferenceQuery("d"), default);
        Assert.Equal(records.AsEnumerable().Reverse(), read);
    }

    [Fact]
    public async Task Purging_removes_request_ids_from_what_feedback_can_join()
    {
        await Log.AppendAsync([Record("old", 1_000), Record("kept", 3_000), Record("old-shadow", 1_000) with { Shadow = true }], default);
        await Log.AppendAsync([Record("older", 500)], default);
        var monitoring = TrackingStoreFactory.OpenMonitoring(_tracking);

        Assert.Equal(3, await Log.PurgeAsync("d", 2_000, default));
        Assert.Equal(["kept"], (await Log.QueryAsync(new InferenceQuery("d"), default)).Select(r => r.RequestId));
        var feedback = await monitoring.AddFeedbackAsync([new("old", "1"), new("older", "1"), new("kept", "0")], 5_000, default);
        Assert.Equal(1, feedback.Accepted);
        Assert.Equal(2, feedback.Unknown);
    }

    private static InferenceRecord Record(string id, long time) =>
        new(id, "d", "iris", "1", "primary", false, time, 0.25, 200, null, "{\"x\":[1]}", "{\"predictions\":[0]}");
}

public sealed class SqliteDeploymentStoreTests : DeploymentStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresDeploymentStoreTests : DeploymentStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "deployments_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return TrackingStoreFactory.Open(server.UriFor(database));
    }
}
