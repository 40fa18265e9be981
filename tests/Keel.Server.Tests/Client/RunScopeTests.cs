using Keel.Client;

namespace Keel.Server.Tests.Client;

/// <summary>The SDK's run scope: how runs end, and the batching metric logger.</summary>
public sealed class RunScopeTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    [Fact]
    public async Task Disposing_a_run_scope_ends_the_run_FINISHED_with_an_end_time()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experiment = SharedKeelServer.UniqueName("scope");
        string runId;
        await using (var run = await client.StartRunAsync(experiment, runName: "finishes", tags: new Dictionary<string, string> { ["team"] = "ml" }))
        {
            runId = run.RunId;
            Assert.Equal(RunStatus.Running, run.Info.Status);
            Assert.Equal(32, runId.Length);
        }

        var ended = await client.GetRunAsync(runId);
        Assert.Equal(RunStatus.Finished, ended.Info.Status);
        Assert.NotNull(ended.Info.EndTime);
        Assert.Equal("finishes", ended.Info.RunName);
        Assert.Equal("ml", ended.Data.Tags["team"]);
        Assert.True(ended.Data.Tags.ContainsKey("mlflow.user"));

        // StartRunAsync created the experiment by name.
        var created = await client.GetExperimentByNameAsync(experiment);
        Assert.NotNull(created);
        Assert.Equal(created.ExperimentId, ended.Info.ExperimentId);
    }

    [Fact]
    public async Task A_scope_marked_failed_while_an_exception_unwinds_ends_FAILED_and_keeps_the_exception()
    {
        using var client = new KeelClient(fixture.BaseUri);
        string? runId = null;

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await using var run = await client.StartRunAsync(SharedKeelServer.UniqueName("scope"));
            runId = run.RunId;
            try
            {
                run.LogMetric("loss", 1.0, 0);
                throw new InvalidDataException("training diverged");
            }
            catch
            {
                run.Fail();
                throw;
            }
        });

        Assert.Equal("training diverged", thrown.Message);
        var ended = await client.GetRunAsync(runId!);
        Assert.Equal(RunStatus.Failed, ended.Info.Status);
        Assert.NotNull(ended.Info.EndTime);
        Assert.Equal(1.0, ended.Data.Metrics["loss"].Value);
    }

    [Fact]
    public async Task ExecuteRunAsync_ends_the_run_FAILED_when_the_body_throws_and_FINISHED_when_it_completes()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experiment = SharedKeelServer.UniqueName("execute");
        string? failedRunId = null;

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.ExecuteRunAsync(experiment, (run, _) =>
        {
            failedRunId = run.RunId;
            throw new InvalidOperationException("boom");
        }));
        var finished = await client.ExecuteRunAsync(experiment, async (run, ct) => await run.LogParamAsync("lr", "0.1", ct));

        Assert.Equal(RunStatus.Failed, (await client.GetRunAsync(failedRunId!)).Info.Status);
        var done = await client.GetRunAsync(finished.RunId);
        Assert.Equal(RunStatus.Finished, done.Info.Status);
        Assert.Equal("0.1", done.Data.Params["lr"]);
    }

    [Fact]
    public async Task EndAsync_ends_the_run_with_the_given_status_and_disposing_afterwards_does_nothing()
    {
        using var client = new KeelClient(fixture.BaseUri);
        await using var run = await client.StartRunAsync(SharedKeelServer.UniqueName("scope"));
        run.LogMetric("acc", 0.5, 1);

        var info = await run.EndAsync(RunStatus.Killed);
        await run.DisposeAsync();

        Assert.Equal(RunStatus.Killed, info.Status);
        var ended = await client.GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Killed, ended.Info.Status);
        Assert.Equal(0.5, ended.Data.Metrics["acc"].Value);
        Assert.Throws<InvalidOperationException>(() => run.LogMetric("acc", 0.6, 2));
        await Assert.ThrowsAsync<InvalidOperationException>(() => run.EndAsync());
    }

    [Fact]
    public async Task Ten_thousand_metrics_logged_in_a_loop_all_arrive_in_a_few_batch_requests()
    {
        var (client, counter) = fixture.CreateCountingClient();
        using var _ = client;
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("batch")))
        {
            runId = run.RunId;
            for (var step = 0; step < 10_000; step++)
            {
                run.LogMetric("loss", 1.0 / (step + 1), step);
            }
        }

        var history = await client.GetMetricHistoryAsync(runId, "loss");
        Assert.Equal(10_000, history.Count);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), history.Select(m => m.Step).Order());
        var latest = (await client.GetRunAsync(runId)).Data.Metrics["loss"];
        Assert.Equal(9_999, latest.Step);
        Assert.Equal(1.0 / 10_000, latest.Value);

        // 1000 per request is the server's limit; a tight loop fills batches, so ~10 requests.
        var batches = counter.Count("/runs/log-batch");
        Assert.InRange(batches, 10, 20);
        Assert.Equal(0, counter.Count("/runs/log-metric"));
    }

    [Fact]
    public async Task A_full_queue_blocks_LogMetric_until_the_sender_makes_room_and_loses_nothing()
    {
        using var client = new KeelClient(fixture.BaseUri, new KeelClientOptions { MetricQueueCapacity = 8, MetricBatchSize = 5 });
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("backpressure")))
        {
            runId = run.RunId;
            for (var step = 0; step < 500; step++)
            {
                run.LogMetric("x", step, step);
            }
        }

        Assert.Equal(500, (await client.GetMetricHistoryAsync(runId, "x")).Count);
    }

    [Fact]
    public async Task Metrics_are_sent_after_the_flush_interval_without_a_full_batch()
    {
        var (client, counter) = fixture.CreateCountingClient(new KeelClientOptions { MetricFlushInterval = TimeSpan.FromMilliseconds(50) });
        using var _ = client;
        await using var run = await client.StartRunAsync(SharedKeelServer.UniqueName("interval"));

        run.LogMetric("acc", 0.9, 1);

        // No FlushAsync: only the interval can send it. Wait for the value to be stored.
        IReadOnlyList<Metric> history = [];
        for (var i = 0; i < 100 && history.Count == 0; i++)
        {
            await Task.Delay(50);
            history = await client.GetMetricHistoryAsync(run.RunId, "acc");
        }

        Assert.Equal(0.9, Assert.Single(history).Value);
        Assert.Equal(1, counter.Count("/runs/log-batch"));
    }

    [Fact]
    public async Task A_failed_background_flush_surfaces_on_the_next_FlushAsync_with_the_servers_error_code()
    {
        using var client = new KeelClient(fixture.BaseUri);
        await using var run = await client.StartRunAsync(SharedKeelServer.UniqueName("flush-error"));

        // '!' is outside the key alphabet ^[/\w.\- :]*$ (reference §4).
        run.LogMetric("bad key!", 1.0);
        var error = await Assert.ThrowsAsync<KeelApiException>(() => run.FlushAsync());

        Assert.Equal(KeelErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.HttpStatus);

        // The error was reported once; the logger keeps working.
        run.LogMetric("good", 2.0);
        await run.FlushAsync();
        Assert.Single(await client.GetMetricHistoryAsync(run.RunId, "good"));
    }

    [Fact]
    public async Task NaN_and_infinite_metric_values_round_trip_as_MLflow_does()
    {
        using var client = new KeelClient(fixture.BaseUri);
        await using var run = await client.StartRunAsync(SharedKeelServer.UniqueName("nan"));
        run.LogMetric("nan", double.NaN, 0);
        run.LogMetric("inf", double.PositiveInfinity, 0);
        run.LogMetric("ninf", double.NegativeInfinity, 0);
        await run.FlushAsync();

        Assert.True(double.IsNaN(Assert.Single(await client.GetMetricHistoryAsync(run.RunId, "nan")).Value));

        // The SQL store clamps ±∞ to ±double.MaxValue (reference §1.3); either form is MLflow's.
        var inf = Assert.Single(await client.GetMetricHistoryAsync(run.RunId, "inf")).Value;
        Assert.True(double.IsPositiveInfinity(inf) || inf == double.MaxValue, $"got {inf}");
        var ninf = Assert.Single(await client.GetMetricHistoryAsync(run.RunId, "ninf")).Value;
        Assert.True(double.IsNegativeInfinity(ninf) || ninf == double.MinValue, $"got {ninf}");
    }
}
