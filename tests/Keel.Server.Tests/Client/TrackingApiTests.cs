using System.Net;
using Keel.Client;

namespace Keel.Server.Tests.Client;

/// <summary>The SDK's experiment, run, parameter, tag and search calls against a real server.</summary>
public sealed class TrackingApiTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    [Fact]
    public async Task An_experiment_is_created_found_renamed_tagged_deleted_and_restored()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("exp");
        var id = await client.CreateExperimentAsync(name, tags: new Dictionary<string, string> { ["owner"] = "alice" });

        var byId = await client.GetExperimentAsync(id);
        Assert.Equal(name, byId.Name);
        Assert.Equal("active", byId.LifecycleStage);
        Assert.Equal("alice", byId.Tags["owner"]);
        Assert.NotNull(byId.CreationTime);
        Assert.Equal(id, (await client.GetExperimentByNameAsync(name))!.ExperimentId);
        Assert.Null(await client.GetExperimentByNameAsync(SharedKeelServer.UniqueName("missing")));

        var renamed = name + "-renamed";
        await client.RenameExperimentAsync(id, renamed);
        await client.SetExperimentTagAsync(id, "stage", "dev");
        var afterRename = await client.GetExperimentAsync(id);
        Assert.Equal(renamed, afterRename.Name);
        Assert.Equal("dev", afterRename.Tags["stage"]);

        var runId = (await client.CreateRunAsync(id)).Info.RunId;
        await client.DeleteExperimentAsync(id);
        Assert.Equal("deleted", (await client.GetExperimentAsync(id)).LifecycleStage);
        Assert.Equal("deleted", (await client.GetRunAsync(runId)).Info.LifecycleStage);
        var deleted = await client.SearchExperimentsAsync($"name = '{renamed}'", viewType: ViewType.DeletedOnly);
        Assert.Equal(id, Assert.Single(deleted.Items).ExperimentId);
        Assert.Empty((await client.SearchExperimentsAsync($"name = '{renamed}'")).Items);

        await client.RestoreExperimentAsync(id);
        Assert.Equal("active", (await client.GetExperimentAsync(id)).LifecycleStage);
        Assert.Equal("active", (await client.GetRunAsync(runId)).Info.LifecycleStage);
    }

    [Fact]
    public async Task Params_and_tags_are_logged_read_back_and_deleted()
    {
        var (client, counter) = fixture.CreateCountingClient();
        using var _ = client;
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("params"));
        var runId = (await client.CreateRunAsync(experimentId, runName: "p")).Info.RunId;

        await client.LogParamAsync(runId, "lr", "0.01");
        var many = Enumerable.Range(0, 150).ToDictionary(i => $"p{i:000}", i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await client.LogParamsAsync(runId, many);
        await client.SetTagAsync(runId, "team", "ml");
        await client.SetTagAsync(runId, "temp", "x");
        await client.DeleteTagAsync(runId, "temp");
        await client.LogBatchAsync(
            runId,
            metrics: [new Metric("acc", 0.75, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), 3)],
            parameters: [new KeyValue("optimizer", "adam")],
            tags: [new KeyValue("mlflow.runName", "renamed")]);

        var run = await client.GetRunAsync(runId);
        Assert.Equal("0.01", run.Data.Params["lr"]);
        Assert.Equal("adam", run.Data.Params["optimizer"]);
        Assert.Equal(152, run.Data.Params.Count);
        Assert.Equal("ml", run.Data.Tags["team"]);
        Assert.False(run.Data.Tags.ContainsKey("temp"));
        Assert.Equal("renamed", run.Info.RunName);
        var acc = run.Data.Metrics["acc"];
        Assert.Equal((0.75, 3L, 1_700_000_000_000L), (acc.Value, acc.Step, acc.Timestamp.ToUnixTimeMilliseconds()));

        // 150 parameters in batches of at most 100 (reference §4): two log-batch calls, plus the explicit one.
        Assert.Equal(3, counter.Count("/runs/log-batch"));

        // Parameters are write-once.
        var error = await Assert.ThrowsAsync<KeelApiException>(() => client.LogParamAsync(runId, "lr", "0.02"));
        Assert.Equal(KeelErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatus);
    }

    [Fact]
    public async Task Runs_are_updated_deleted_and_restored()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("update"));
        var runId = (await client.CreateRunAsync(experimentId, runName: "before")).Info.RunId;

        var info = await client.UpdateRunAsync(runId, RunStatus.Scheduled, runName: "after");
        Assert.Equal(RunStatus.Scheduled, info.Status);
        Assert.Equal("after", (await client.GetRunAsync(runId)).Info.RunName);

        await client.DeleteRunAsync(runId);
        Assert.Equal("deleted", (await client.GetRunAsync(runId)).Info.LifecycleStage);
        Assert.Empty((await client.SearchRunsAsync([experimentId])).Items);
        Assert.Single((await client.SearchRunsAsync([experimentId], viewType: ViewType.DeletedOnly)).Items);

        await client.RestoreRunAsync(runId);
        Assert.Equal("active", (await client.GetRunAsync(runId)).Info.LifecycleStage);
    }

    [Fact]
    public async Task Search_filters_orders_and_follows_page_tokens()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("search"));
        var expected = new List<(string RunId, double Acc)>();
        for (var i = 0; i < 7; i++)
        {
            var run = await client.CreateRunAsync(experimentId, runName: $"run-{i}");
            var model = i % 2 == 0 ? "tree" : "linear";
            var acc = 0.1 * (i + 1);
            await client.LogBatchAsync(
                run.Info.RunId,
                metrics: [new Metric("acc", acc, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i), 0)],
                parameters: [new KeyValue("model", model)]);
            if (model == "tree" && acc > 0.2)
            {
                expected.Add((run.Info.RunId, acc));
            }
        }

        const string Filter = "params.model = 'tree' AND metrics.acc > 0.2";
        string[] orderBy = ["metrics.acc DESC"];
        var want = expected.OrderByDescending(e => e.Acc).Select(e => e.RunId).ToList();
        Assert.Equal(3, want.Count);

        // Page by page: a full page carries a token; runs/search may end with an empty page (reference §1.5).
        var first = await client.SearchRunsAsync([experimentId], Filter, orderBy, maxResults: 2);
        Assert.Equal(want.Take(2), first.Items.Select(r => r.Info.RunId));
        Assert.NotNull(first.NextPageToken);
        var second = await client.SearchRunsAsync([experimentId], Filter, orderBy, maxResults: 2, pageToken: first.NextPageToken);
        Assert.Equal(want.Skip(2), second.Items.Select(r => r.Info.RunId));

        // The enumerator follows the tokens by itself.
        var all = new List<string>();
        await foreach (var run in client.EnumerateRunsAsync([experimentId], Filter, orderBy, pageSize: 1))
        {
            all.Add(run.Info.RunId);
        }

        Assert.Equal(want, all);

        var ascending = await client.SearchRunsAsync([experimentId], "params.model = 'linear'", ["metrics.acc ASC"]);
        Assert.Equal([0.2, 0.4, 0.6], ascending.Items.Select(r => Math.Round(r.Data.Metrics["acc"].Value, 6)));
    }

    [Fact]
    public async Task Experiment_search_pages_through_every_match()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var prefix = SharedKeelServer.UniqueName("paged");
        for (var i = 0; i < 5; i++)
        {
            await client.CreateExperimentAsync($"{prefix}-{i}");
        }

        var page = await client.SearchExperimentsAsync($"name LIKE '{prefix}-%'", ["name ASC"], maxResults: 2);
        Assert.Equal([$"{prefix}-0", $"{prefix}-1"], page.Items.Select(e => e.Name));
        Assert.NotNull(page.NextPageToken);

        var names = new List<string>();
        await foreach (var experiment in client.EnumerateExperimentsAsync($"name LIKE '{prefix}-%'", ["name ASC"], pageSize: 2))
        {
            names.Add(experiment.Name);
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}"), names);
    }

    [Fact]
    public async Task Metric_history_is_complete_and_ordered()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("history"));
        var runId = (await client.CreateRunAsync(experimentId)).Info.RunId;
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        await client.LogMetricsAsync(runId, Enumerable.Range(0, 2500).Select(i => new Metric("loss", 2500 - i, start.AddMilliseconds(i), i)));
        await client.LogMetricAsync(runId, "loss", -1, step: 2500, timestamp: start.AddSeconds(10));

        var history = await client.GetMetricHistoryAsync(runId, "loss");
        Assert.Equal(2501, history.Count);
        Assert.Equal(Enumerable.Range(0, 2501).Select(i => (long)i), history.Select(m => m.Step));
        Assert.Equal(-1, history[^1].Value);
    }

    [Fact]
    public async Task Server_errors_map_to_KeelApiException_with_MLflows_error_code_and_status()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("errors");
        var experimentId = await client.CreateExperimentAsync(name);

        var missingRun = await Assert.ThrowsAsync<KeelApiException>(() => client.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(KeelErrorCodes.ResourceDoesNotExist, missingRun.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, missingRun.HttpStatus);
        Assert.False(string.IsNullOrWhiteSpace(missingRun.Message));

        var duplicate = await Assert.ThrowsAsync<KeelApiException>(() => client.CreateExperimentAsync(name));
        Assert.Equal(KeelErrorCodes.ResourceAlreadyExists, duplicate.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.HttpStatus);

        var badFilter = await Assert.ThrowsAsync<KeelApiException>(() => client.SearchRunsAsync([experimentId], "metrics.acc >>> 1"));
        Assert.Equal(KeelErrorCodes.InvalidParameterValue, badFilter.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.HttpStatus);

        var missingExperiment = await Assert.ThrowsAsync<KeelApiException>(() => client.GetExperimentAsync("987654321"));
        Assert.Equal(KeelErrorCodes.ResourceDoesNotExist, missingExperiment.ErrorCode);
    }

    [Fact]
    public async Task An_unknown_route_maps_to_ENDPOINT_NOT_FOUND()
    {
        // A client pointed at a path prefix the server does not serve sees every route as unknown.
        using var client = new KeelClient(new Uri(fixture.BaseUri, "no-such-prefix/"));
        var error = await Assert.ThrowsAsync<KeelApiException>(() => client.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(KeelErrorCodes.EndpointNotFound, error.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, error.HttpStatus);
    }
}
