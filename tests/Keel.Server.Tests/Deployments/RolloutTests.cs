using Keel.Cli.Commands;
using Keel.Client;
using Keel.Core.Deployments;
using Keel.Core.Inference;
using Keel.Server.Hosting;
using Keel.Server.Serving;

namespace Keel.Server.Tests.Deployments;

/// <summary>Progressive rollouts judged on the inference log, and `keel serve --deployment` following the server.</summary>
public sealed class RolloutTests
{
    [Fact]
    public async Task A_rollout_whose_gates_pass_steps_up_to_all_the_traffic_and_records_each_decision()
    {
        await using var f = await DeploymentFixture.StartAsync();
        await f.Client.CreateDeploymentAsync("roll", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        var started = await f.Client.UpdateDeploymentAsync("roll", rollout: new RolloutSpec("models:/iris/2",
            [new RolloutStep(50, null, 30), new RolloutStep(100, null, null)], new RolloutGates(0.01, 20, 10)));
        Assert.Equal(RolloutState.Running, started.Rollout!.Status);
        Assert.Equal([0.5, 0.5], started.Serving.Select(r => r.Share));
        Assert.Equal("rollout", started.Serving[1].Route);

        DeploymentInfo current = started;
        Assert.True(await DeploymentFixture.EventuallyAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(200, (await f.InvokeAsync("roll")).Status);
            }

            current = await f.Client.GetDeploymentAsync("roll");
            return current.Rollout!.Status == RolloutState.Succeeded;
        }, seconds: 30));
        Assert.Equal("2", current.Serving.Single().Version);
        Assert.Equal("2", (await f.InvokeAsync("roll")).Version);

        var history = await f.Client.GetDeploymentHistoryAsync("roll");
        Assert.Equal(["rollout_done", "rollout_start", "create"], history.Revisions.Select(r => r.Kind));
        var passed = Assert.Single(history.Events, e => e.Kind == "gate_passed");
        Assert.Contains("Step 1 (50%)", passed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_gate_rolls_back_automatically_to_the_routes_before_the_rollout()
    {
        await using var f = await DeploymentFixture.StartAsync();
        await f.Client.CreateDeploymentAsync("guarded", DeploymentFixture.Spec(
            new RouteSpec("blue", "models:/iris/1", 70), new RouteSpec("green", "models:/iris/1", 30)));
        await f.Client.UpdateDeploymentAsync("guarded", rollout: new RolloutSpec("models:/iris/2",
            [new RolloutStep(10, null, 20), new RolloutStep(100, null, null)], new RolloutGates(0.05, 1.5, 20)));

        // Replicas report through the inference log: the new model fails a third of its requests.
        var now = (await f.Client.GetDeploymentAsync("guarded")).LastUpdatedTime + 1;
        var records = Enumerable.Range(0, 30).Select(i => new InferenceRecord($"new-{i}", "guarded", "iris", "2", "rollout", false, now, 1, i % 3 == 0 ? 500 : 200, null, null, null))
            .Concat(Enumerable.Range(0, 60).Select(i => new InferenceRecord($"old-{i}", "guarded", "iris", "1", "blue", false, now, 1, 200, null, null, null)))
            .ToList();
        await f.Client.LogInferenceAsync(records);

        // The rollback is a new revision; "serving" once the runtime holds it (until then "updating").
        DeploymentInfo current = null!;
        Assert.True(await DeploymentFixture.EventuallyAsync(async () =>
            (current = await f.Client.GetDeploymentAsync("guarded")).Rollout!.Status == RolloutState.RolledBack && current.Status == "serving"));
        Assert.Equal(["blue", "green"], current.Serving.Select(r => r.Route));
        Assert.Equal([0.7, 0.3], current.Serving.Select(r => Math.Round(r.Share, 6)));
        var history = await f.Client.GetDeploymentHistoryAsync("guarded");
        Assert.Equal("auto_rollback", history.Revisions[0].Kind);
        var failed = Assert.Single(history.Events, e => e.Kind == "gate_failed");
        Assert.Contains("error rate 0.3333", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rollout_is_refused_when_its_steps_or_gates_are_invalid()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("checked", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        var shrinking = await f.ApiAsync(HttpMethod.Post, "deployments/update", new
        {
            name = "checked",
            rollout = new { model_uri = "models:/iris/1", steps = new object[] { new { weight = 50, hold_seconds = 5 }, new { weight = 20 } } },
        });
        Assert.Contains("rollout.steps[1].weight", shrinking.GetProperty("message").GetString(), StringComparison.Ordinal);
        var unheld = await f.ApiAsync(HttpMethod.Post, "deployments/update", new
        {
            name = "checked",
            rollout = new { model_uri = "models:/iris/1", steps = new object[] { new { weight = 50 }, new { weight = 100 } } },
        });
        Assert.Contains("rollout.steps[0]", unheld.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await f.Client.GetDeploymentAsync("checked")).Revision);
    }

    [Fact]
    public async Task Keel_serve_with_a_deployment_follows_its_revisions_and_sends_inference_records_to_the_server()
    {
        await using var f = await DeploymentFixture.StartAsync();
        await f.Client.CreateDeploymentAsync("edge", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        using var cache = new Keel.Testing.TempDirectory();
        var source = new ClientModelSource(f.Server.BaseUri.ToString(), cache.Path);
        var runtime = await ServeCommand.LoadDeploymentAsync("edge", source, CancellationToken.None);
        var options = new ServeOptions
        {
            Port = 0,
            RefreshInterval = TimeSpan.FromMilliseconds(100),
            Refresh = (served, ct) => ServeCommand.RefreshDeploymentAsync(served, source, ct),
            InferenceSink = new ClientInferenceSink(source.Client),
        };
        await using var app = ServingApp.Build(options, runtime);
        await app.StartAsync();
        using var edge = new HttpClient { BaseAddress = KeelApp.BoundAddress(app) };
        Assert.Equal("1", (await f.InvokeAsync("edge", http: edge)).Version);

        await f.Client.UpdateDeploymentAsync("edge", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/2", 100)));
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.InvokeAsync("edge", http: edge)).Version == "2"));
        Assert.Equal("2", (await f.InvokeAsync("edge", http: edge)).Version);

        IReadOnlyList<InferenceRecord> logged = [];
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (logged = await f.Client.SearchInferenceLogAsync("edge")).Any(r => r.ModelVersion == "2")));
        Assert.Contains(logged, r => r.ModelVersion == "1");
        Assert.All(logged, r => Assert.Equal("edge", r.Deployment));
    }
}
