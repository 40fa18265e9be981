using Keel.Core.Errors;
using Keel.Core.Tracking;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Storage.Tests.Tracking;

/// <summary>
/// The behaviour every tracking back end must share (reference §6), driven through
/// <see cref="TrackingService"/>. SQLite and PostgreSQL run it as near-empty subclasses.
/// </summary>
public abstract class TrackingStoreContract : IAsyncLifetime
{
    private ITrackingStore _store = null!;

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    protected TrackingService Tracking { get; private set; } = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        Tracking = new TrackingService(_store, Clock, new TrackingOptions());
        await Tracking.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private static CancellationToken Ct => CancellationToken.None;

    private async Task<Run> NewRunAsync(long experimentId = 0, string? name = null, long? start = null) =>
        await Tracking.CreateRunAsync(experimentId, "tester", name, start ?? Clock.GetUtcNow().ToUnixTimeMilliseconds(), [], Ct);

    [Fact]
    public async Task Default_experiment_zero_exists_from_the_start()
    {
        var experiment = await Tracking.GetExperimentAsync(0, Ct);
        Assert.Equal("Default", experiment.Name);
        Assert.Equal("mlflow-artifacts:/0", experiment.ArtifactLocation);
        Assert.Equal(LifecycleStage.Active, experiment.LifecycleStage);
        await Tracking.InitializeAsync(Ct);
        var all = await Tracking.SearchExperimentsAsync(null, [], ViewType.All, null, null, Ct);
        Assert.Single(all.Items);
    }

    [Fact]
    public async Task Experiment_create_get_and_duplicate_name()
    {
        var id = await Tracking.CreateExperimentAsync("exp-a", null, [new KeyValue("team", "ml")], Ct);
        Assert.Equal(1, id);
        var byName = await Tracking.GetExperimentByNameAsync("exp-a", Ct);
        Assert.Equal(id, byName.ExperimentId);
        Assert.Equal($"mlflow-artifacts:/{id}", byName.ArtifactLocation);
        Assert.Equal("ml", Assert.Single(byName.Tags).Value);

        var duplicate = await Assert.ThrowsAsync<KeelException>(() => Tracking.CreateExperimentAsync("exp-a", null, [], Ct));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.Code);

        var missing = await Assert.ThrowsAsync<KeelException>(() => Tracking.GetExperimentByNameAsync("nope", Ct));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.Code);
    }

    [Fact]
    public async Task Deleting_an_experiment_deletes_its_runs_and_restore_brings_them_back()
    {
        var id = await Tracking.CreateExperimentAsync("lifecycle", null, [], Ct);
        var run = await NewRunAsync(id);
        await Tracking.DeleteExperimentAsync(id, Ct);
        Assert.Equal(LifecycleStage.Deleted, (await Tracking.GetRunAsync(run.Info.RunId, Ct)).Info.LifecycleStage);
        var create = await Assert.ThrowsAsync<KeelException>(() => Tracking.CreateExperimentAsync("lifecycle", null, [], Ct));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, create.Code);
        var rename = await Assert.ThrowsAsync<KeelException>(() => Tracking.RenameExperimentAsync(id, "other", Ct));
        Assert.Equal(ErrorCode.INVALID_STATE, rename.Code);

        await Tracking.RestoreExperimentAsync(id, Ct);
        Assert.Equal(LifecycleStage.Active, (await Tracking.GetRunAsync(run.Info.RunId, Ct)).Info.LifecycleStage);
        await Tracking.RenameExperimentAsync(id, "renamed", Ct);
        Assert.Equal("renamed", (await Tracking.GetExperimentAsync(id, Ct)).Name);
    }

    [Fact]
    public async Task Experiment_search_filters_orders_and_pages()
    {
        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await Tracking.CreateExperimentAsync($"search-{i}", null, [new KeyValue("parity", (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture))], Ct);
        }

        var even = await Tracking.SearchExperimentsAsync("tags.parity = '0'", ["name DESC"], ViewType.ActiveOnly, null, null, Ct);
        Assert.Equal(["search-4", "search-2", "search-0"], even.Items.Select(e => e.Name));

        var like = await Tracking.SearchExperimentsAsync("name LIKE 'search-%'", [], ViewType.ActiveOnly, 2, null, Ct);
        Assert.Equal(["search-4", "search-3"], like.Items.Select(e => e.Name));
        Assert.NotNull(like.NextPageToken);
        var next = await Tracking.SearchExperimentsAsync("name LIKE 'search-%'", [], ViewType.ActiveOnly, 2, like.NextPageToken, Ct);
        Assert.Equal(["search-2", "search-1"], next.Items.Select(e => e.Name));
        var last = await Tracking.SearchExperimentsAsync("name LIKE 'search-%'", [], ViewType.ActiveOnly, 2, next.NextPageToken, Ct);
        Assert.Equal(["search-0"], last.Items.Select(e => e.Name));
        Assert.Null(last.NextPageToken);

        var caseSensitive = await Tracking.SearchExperimentsAsync("name LIKE 'SEARCH-%'", [], ViewType.ActiveOnly, null, null, Ct);
        Assert.Empty(caseSensitive.Items);
        var caseInsensitive = await Tracking.SearchExperimentsAsync("name ILIKE 'SEARCH-%'", [], ViewType.ActiveOnly, null, null, Ct);
        Assert.Equal(5, caseInsensitive.Items.Count);
    }

    [Fact]
    public async Task Runs_get_a_generated_name_and_the_run_name_tag()
    {
        var run = await NewRunAsync();
        Assert.Matches("^[a-z]+-[a-z]+-[0-9]+$", run.Info.RunName);
        Assert.Equal(run.Info.RunName, run.Tags.Single(t => t.Key == ReservedTags.RunName).Value);
        Assert.Matches("^[0-9a-f]{32}$", run.Info.RunId);
        Assert.Equal($"mlflow-artifacts:/0/{run.Info.RunId}/artifacts", run.Info.ArtifactUri);
        Assert.Equal(RunStatus.RUNNING, run.Info.Status);

        var conflict = await Assert.ThrowsAsync<KeelException>(() =>
            Tracking.CreateRunAsync(0, null, "a", 1, [new KeyValue(ReservedTags.RunName, "b")], Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, conflict.Code);

        await Tracking.SetTagAsync(run.Info.RunId, new KeyValue(ReservedTags.RunName, "renamed"), Ct);
        Assert.Equal("renamed", (await Tracking.GetRunAsync(run.Info.RunId, Ct)).Info.RunName);
        var info = await Tracking.UpdateRunAsync(run.Info.RunId, RunStatus.FINISHED, 42, "again", Ct);
        Assert.Equal(("again", RunStatus.FINISHED, 42L), (info.RunName, info.Status, info.EndTime));
    }

    [Fact]
    public async Task Params_are_write_once_and_a_failing_batch_writes_nothing()
    {
        var run = await NewRunAsync();
        await Tracking.LogParamAsync(run.Info.RunId, new KeyValue("alpha", "0.1"), Ct);
        await Tracking.LogParamAsync(run.Info.RunId, new KeyValue("alpha", "0.1"), Ct);
        var batch = new RunBatch([new Metric("loss", 1, 1, 0)], [new KeyValue("alpha", "0.2")], [new KeyValue("t", "v")]);
        var error = await Assert.ThrowsAsync<KeelException>(() => Tracking.LogBatchAsync(run.Info.RunId, batch, Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("alpha", error.Message, StringComparison.Ordinal);

        var stored = await Tracking.GetRunAsync(run.Info.RunId, Ct);
        Assert.Equal("0.1", Assert.Single(stored.Params).Value);
        Assert.Empty(stored.Metrics);
        Assert.DoesNotContain(stored.Tags, t => t.Key == "t");
    }

    [Fact]
    public async Task Latest_metric_is_greatest_step_then_timestamp_then_value_and_specials_round_trip()
    {
        var run = await NewRunAsync();
        await Tracking.LogBatchAsync(run.Info.RunId, new RunBatch(
        [
            new Metric("m", 5, 100, 2),
            new Metric("m", 9, 50, 1),
            new Metric("m", 7, 100, 2),
            new Metric("nan", double.NaN, 1, 0),
            new Metric("inf", double.PositiveInfinity, 1, 0),
            new Metric("ninf", double.NegativeInfinity, 1, 0),
        ], [], []), Ct);
        await Tracking.LogMetricAsync(run.Info.RunId, new Metric("m", 7, 100, 2), Ct); // exact duplicate: ignored

        var metrics = (await Tracking.GetRunAsync(run.Info.RunId, Ct)).Metrics.ToDictionary(m => m.Key);
        Assert.Equal(7, metrics["m"].Value);
        Assert.True(double.IsNaN(metrics["nan"].Value));
        Assert.Equal(double.MaxValue, metrics["inf"].Value);
        Assert.Equal(double.MinValue, metrics["ninf"].Value);

        var (points, _) = await Tracking.GetMetricHistoryAsync(run.Info.RunId, "m", null, null, Ct);
        var history = await points.ToListAsync();
        Assert.Equal([(9d, 50L, 1L), (5d, 100L, 2L), (7d, 100L, 2L)], history.Select(p => (p.Value, p.Timestamp, p.Step)));
    }

    [Fact]
    public async Task Metric_history_pages_with_tokens()
    {
        var run = await NewRunAsync();
        await Tracking.LogBatchAsync(run.Info.RunId, new RunBatch(
            Enumerable.Range(0, 25).Select(i => new Metric("loss", i, 1000 + i, i)).ToList(), [], []), Ct);
        var all = new List<Metric>();
        string? token = null;
        var pages = 0;
        do
        {
            var (points, next) = await Tracking.GetMetricHistoryAsync(run.Info.RunId, "loss", 10, token, Ct);
            var page = await points.ToListAsync();
            all.AddRange(page);
            token = next(page.LastOrDefault(), page.Count);
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (double)i), all.Select(m => m.Value));
    }

    [Fact]
    public async Task Run_search_filters_on_metrics_params_tags_and_attributes()
    {
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            var run = await NewRunAsync(name: $"run-{i}");
            ids.Add(run.Info.RunId);
            var metrics = i == 5 ? new List<Metric>() : [new Metric("acc", i / 10.0, 1, 0)];
            await Tracking.LogBatchAsync(run.Info.RunId, new RunBatch(metrics,
                [new KeyValue("model", i % 2 == 0 ? "Forest" : "linear")], [new KeyValue("owner", $"user{i}")]), Ct);
        }

        async Task<string[]> Names(string filter, params IReadOnlyList<string> orderBy) =>
            (await Tracking.SearchRunsAsync([0], filter, orderBy, ViewType.ActiveOnly, null, null, Ct)).Items.Select(r => r.Info.RunName!).ToArray();

        Assert.Equal(["run-4", "run-3"], await Names("metrics.acc > 0.25"));
        Assert.Equal(["run-4", "run-2", "run-0"], await Names("params.model = 'Forest'"));
        Assert.Equal(["run-4", "run-2"], await Names("params.model = 'Forest' and metrics.acc >= 0.2"));
        Assert.Empty(await Names("params.model LIKE 'forest'"));
        Assert.Equal(["run-4", "run-2", "run-0"], await Names("params.model ILIKE 'forest'"));
        Assert.Equal(["run-3"], await Names("tags.owner = 'user3'"));
        Assert.Equal(["run-5", "run-4", "run-3", "run-1", "run-0"], await Names("tags.owner != 'user2'"));
        Assert.Equal(["run-1"], await Names("attributes.run_name = 'run-1'"));
        Assert.Equal(["run-2"], await Names($"attributes.run_id IN ('{ids[2]}')"));
        Assert.Equal(["run-4", "run-3", "run-2", "run-1", "run-0", "run-5"], await Names("", "metrics.acc DESC"));
        Assert.Equal(["run-0", "run-1", "run-2", "run-3", "run-4", "run-5"], await Names("", "metrics.acc ASC"));
        Assert.Equal(["run-0", "run-2", "run-4", "run-1", "run-3", "run-5"], await Names("status = 'RUNNING'", "params.model", "attributes.start_time ASC"));
    }

    [Fact]
    public async Task Run_page_tokens_stay_valid_when_new_runs_arrive()
    {
        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await NewRunAsync(name: $"old-{i}");
        }

        var first = await Tracking.SearchRunsAsync([0], null, [], ViewType.ActiveOnly, 2, null, Ct);
        Assert.Equal(["old-4", "old-3"], first.Items.Select(r => r.Info.RunName));
        Clock.Advance(TimeSpan.FromSeconds(1));
        await NewRunAsync(name: "new");
        var second = await Tracking.SearchRunsAsync([0], null, [], ViewType.ActiveOnly, 2, first.NextPageToken, Ct);
        Assert.Equal(["old-2", "old-1"], second.Items.Select(r => r.Info.RunName));
        var third = await Tracking.SearchRunsAsync([0], null, [], ViewType.ActiveOnly, 2, second.NextPageToken, Ct);
        Assert.Equal(["old-0"], third.Items.Select(r => r.Info.RunName));
        Assert.Null(third.NextPageToken);

        var bad = await Assert.ThrowsAsync<KeelException>(() => Tracking.SearchRunsAsync([0], null, [], ViewType.ActiveOnly, 2, "garbage!", Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, bad.Code);
    }

    [Fact]
    public async Task Deleted_runs_follow_the_view_type_and_refuse_writes()
    {
        var run = await NewRunAsync();
        await Tracking.DeleteRunAsync(run.Info.RunId, Ct);
        Assert.Empty((await Tracking.SearchRunsAsync([0], null, [], ViewType.ActiveOnly, null, null, Ct)).Items);
        Assert.Single((await Tracking.SearchRunsAsync([0], null, [], ViewType.DeletedOnly, null, null, Ct)).Items);
        var write = await Assert.ThrowsAsync<KeelException>(() => Tracking.LogParamAsync(run.Info.RunId, new KeyValue("a", "b"), Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, write.Code);
        await Tracking.RestoreRunAsync(run.Info.RunId, Ct);
        await Tracking.LogParamAsync(run.Info.RunId, new KeyValue("a", "b"), Ct);
    }

    [Fact]
    public async Task Tags_delete_and_missing_tag_is_not_found()
    {
        var run = await NewRunAsync();
        await Tracking.SetTagAsync(run.Info.RunId, new KeyValue("k", "v"), Ct);
        await Tracking.DeleteTagAsync(run.Info.RunId, "k", Ct);
        var missing = await Assert.ThrowsAsync<KeelException>(() => Tracking.DeleteTagAsync(run.Info.RunId, "k", Ct));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.Code);
    }

    [Fact]
    public async Task Dataset_inputs_are_linked_once_and_searchable()
    {
        var run = await NewRunAsync();
        var input = new DatasetInput(new Dataset("iris", "abc123", "local", "{\"uri\":\"x\"}", null, null), [new KeyValue(ReservedTags.DataContext, "training")]);
        await Tracking.LogInputsAsync(run.Info.RunId, [input, input], Ct);
        await Tracking.LogInputsAsync(run.Info.RunId, [input], Ct);
        var stored = await Tracking.GetRunAsync(run.Info.RunId, Ct);
        var only = Assert.Single(stored.Inputs);
        Assert.Equal("training", Assert.Single(only.Tags).Value);
        var found = await Tracking.SearchRunsAsync([0], "dataset.context = 'training' and dataset.name = 'iris'", [], ViewType.ActiveOnly, null, null, Ct);
        Assert.Single(found.Items);
    }

    [Fact]
    public async Task Concurrent_batches_to_one_run_lose_nothing()
    {
        var run = await NewRunAsync();
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => Tracking.LogBatchAsync(run.Info.RunId, new RunBatch(
            Enumerable.Range(0, 20).Select(j => new Metric("loss", j, i, j)).ToList(),
            [new KeyValue($"p{i}", "v")],
            [new KeyValue("shared", "x")]), Ct))));
        var stored = await Tracking.GetRunAsync(run.Info.RunId, Ct);
        Assert.Equal(50, stored.Params.Count);
        var (points, _) = await Tracking.GetMetricHistoryAsync(run.Info.RunId, "loss", null, null, Ct);
        Assert.Equal(1000, (await points.ToListAsync()).Count);
        Assert.Equal(19, stored.Metrics.Single().Value);
    }

    [Fact]
    public async Task Bulk_interval_samples_steps_and_keeps_each_runs_ends()
    {
        var a = await NewRunAsync();
        var b = await NewRunAsync();
        await Tracking.LogBatchAsync(a.Info.RunId, new RunBatch(Enumerable.Range(0, 100).Select(i => new Metric("x", i, i, i)).ToList(), [], []), Ct);
        await Tracking.LogBatchAsync(b.Info.RunId, new RunBatch(Enumerable.Range(0, 37).Select(i => new Metric("x", i, i, i)).ToList(), [], []), Ct);
        var points = await Tracking.GetMetricHistoryBulkIntervalAsync([a.Info.RunId, b.Info.RunId], "x", null, null, 10, Ct);
        var stepsA = points.Where(p => p.RunId == a.Info.RunId).Select(p => p.Step).ToList();
        Assert.Contains(0L, stepsA);
        Assert.Contains(99L, stepsA);
        Assert.Contains(36L, points.Where(p => p.RunId == b.Info.RunId).Select(p => p.Step));
        Assert.True(stepsA.Count <= 13);
    }
}

public sealed class SqliteTrackingStoreTests : TrackingStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(Keel.Storage.Sql.TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresTrackingStoreTests : TrackingStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "contract_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return Keel.Storage.Sql.TrackingStoreFactory.Open(server.UriFor(database));
    }
}
