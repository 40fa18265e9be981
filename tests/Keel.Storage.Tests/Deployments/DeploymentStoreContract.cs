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
