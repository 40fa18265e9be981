using System.Diagnostics;
using Keel.Core.Deployments;
using Keel.Core.Inference;
using Keel.Server.Hosting;
using Keel.Server.Serving;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;
using Keel.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Tests.Deployments;

/// <summary>The inference log (records, sampling, drops) and shadow traffic (verdicts; a failing or slow shadow never touches the live answer).</summary>
public sealed class ShadowAndLogTests
{
    [Fact]
    public async Task Uploaded_records_keep_their_payloads_byte_for_byte_and_a_bad_record_rejects_its_batch_naming_the_field()
    {
        // What `keel serve` replicas post: the server reads each record in one pass and keeps its
        // payloads as the body's bytes; a bad record names its place and field, and nothing of that
        // batch is stored.
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        // Recent times: the log's retention purges old records in the background.
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        const string inputs = """{"sepal_length":[5.1,6.2],"note":["caf\u00e9 \"x\""]}""";
        const string outputs = """{"predictions":[0,1]}""";
        var good = $$"""
            {"records": [
              {"request_id": "r-1", "deployment": "uploaded", "model_name": "iris", "model_version": "1", "route": "primary",
               "shadow": false, "time": {{now}}, "latency_ms": 1.5, "status": 200, "inputs": {{inputs}}, "outputs": {{outputs}}},
              {"time": {{now + 1}}, "latency_ms": 2, "status": 500, "error": "boom", "shadow": true, "route": "shadow",
               "model_version": "2", "model_name": "iris", "deployment": "uploaded", "request_id": "r-1"}
            ]}
            """;
        using (var response = await f.Http.PostAsync("api/2.0/keel/inference-log/log-batch", new StringContent(good, System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var records = await f.Client.SearchInferenceLogAsync("uploaded");
        Assert.Equal(2, records.Count);
        var live = Assert.Single(records, r => !r.Shadow);
        Assert.Equal(("r-1", "1", "primary", 200, now), (live.RequestId, live.ModelVersion, live.Route, live.Status, live.Time));
        Assert.Equal(inputs, live.Inputs);
        Assert.Equal(outputs, live.Outputs);
        var shadow = Assert.Single(records, r => r.Shadow);
        Assert.Equal(("2", "shadow", 500, "boom", null, null), (shadow.ModelVersion, shadow.Route, shadow.Status, shadow.Error, shadow.Inputs, shadow.Outputs));

        string Record(string id, string time) =>
            $$"""{"request_id": "{{id}}", "deployment": "uploaded", "model_name": "iris", "model_version": "1", "route": "primary", "time": {{time}}, "latency_ms": 1, "status": 200}""";
        foreach (var (body, message) in new[]
        {
            ($$"""{"records": [{{Record("r-2", (now + 2).ToString(System.Globalization.CultureInfo.InvariantCulture))}}, {{Record("r-3", "[1]")}}]}""", "'records[1].time': a number"),
            ($$"""{"records": [{{Record("", (now + 3).ToString(System.Globalization.CultureInfo.InvariantCulture))}}]}""", "'records[0].request_id': a string of 1 to 500 characters"),
            ("""{"records": [7]}""", "'records[0]': an object"),
        })
        {
            using var response = await f.Http.PostAsync("api/2.0/keel/inference-log/log-batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(2, (await f.Client.SearchInferenceLogAsync("uploaded")).Count);
    }

    [Fact]
    public async Task Every_prediction_is_logged_with_inputs_outputs_route_and_version_and_sampling_keeps_a_share()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("logged", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(200, (await f.InvokeAsync("logged")).Status);
        }

        Assert.Equal(400, (await f.InvokeAsync("logged", """{"dataframe_records": [{"sepal_length": "x"}]}""")).Status);
        IReadOnlyList<InferenceRecord> records = [];
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (records = await f.Client.SearchInferenceLogAsync("logged")).Count == 21));
        var ok = records.Where(r => r.Status == 200).ToList();
        Assert.Equal(20, ok.Count);
        Assert.All(ok, r => Assert.Equal(("iris", "1", "primary", false), (r.ModelName, r.ModelVersion, r.Route, r.Shadow)));
        Assert.Contains("\"sepal_length\":[5.1,4.9]", ok[0].Inputs, StringComparison.Ordinal);
        Assert.StartsWith("{\"predictions\":", ok[0].Outputs, StringComparison.Ordinal);
        Assert.Equal(20, ok.Select(r => r.RequestId).Distinct().Count());
        var bad = Assert.Single(records, r => r.Status == 400);
        Assert.Contains("4 values", bad.Error, StringComparison.Ordinal);

        await f.Client.UpdateDeploymentAsync("logged", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)) with
        {
            InferenceLog = new InferenceLogSpec(0.25, 7),
        });
        var since = records.Max(r => r.Time) + 1;
        await Task.Delay(5);
        for (var i = 0; i < 800; i++)
        {
            await f.InvokeAsync("logged");
        }

        await Task.Delay(600);
        var sampled = (await f.Client.SearchInferenceLogAsync("logged", since, 5000)).Count;
        Assert.InRange(sampled, 140, 260); // 200 expected; ±4.3 σ
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_records_and_never_blocks_a_request()
    {
        var sink = new BlockingSink();
        var log = new InferenceLog(sink, new InferenceLogOptions { Capacity = 10, BatchSize = 5 }, NullLogger<InferenceLog>.Instance);
        await log.StartAsync(CancellationToken.None);
        var started = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            log.TryEnqueue(new PendingInference($"r{i}", "d", "m", "1", "primary", false, i, 1, 200, null, null, null));
        }

        Assert.True(started.ElapsedMilliseconds < 1000, $"enqueueing took {started.ElapsedMilliseconds} ms");
        Assert.InRange(log.Dropped, 1000 - 10 - 5, 1000 - 10);
        sink.Release.SetResult();
        await log.FlushAsync(CancellationToken.None);
        Assert.Equal(1000 - log.Dropped, log.Written);
        await log.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_shadow_gets_a_copy_of_the_traffic_and_its_verdict_compares_it_with_the_live_model()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 2);
        await f.Client.CreateDeploymentAsync("shadowed", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)) with
        {
            Shadow = new ShadowSpec("models:/iris/2", 1.0),
        });
        var deployment = await f.Client.GetDeploymentAsync("shadowed");
        Assert.Equal("2", deployment.Shadow!.Version);
        for (var i = 0; i < 50; i++)
        {
            var (status, version, _, _) = await f.InvokeAsync("shadowed");
            Assert.Equal((200, "1"), (status, version));
        }

        ShadowVerdict verdict = null!;
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (verdict = await f.Client.GetShadowVerdictAsync("shadowed")).Pairs == 50));
        Assert.Equal(ShadowVerdict.Classification, verdict.Kind);
        Assert.Equal(1.0, verdict.AgreementRate); // the same forest: every label agrees
        Assert.Equal("2", verdict.ShadowVersion);
        Assert.Equal(0, verdict.ShadowErrors);
        Assert.True(verdict.ShadowP99Ms > 0);
    }

    [Fact]
    public async Task A_shadow_that_throws_or_is_slow_never_affects_the_live_answer()
    {
        using var folder = new TempDirectory();
        new ModelPackager(TimeProvider.System).SaveOnnx(RepositoryFiles.SharedFixture("iris_forest.onnx"), folder.Path);
        var live = ModelLoader.Load(folder.Path);
        var faulty = new FaultyPredictor(ModelLoader.Load(folder.Path));
        var spec = DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)) with { Shadow = new ShadowSpec("models:/iris/2", 1) };
        var table = new RouteTable("faulty", 1,
            [new ActiveRoute("primary", "models:/iris/1", 100, new SharedModel(new ServedModel("iris", "1", "a", live, live)))],
            new ActiveRoute("shadow", "models:/iris/2", 0, new SharedModel(new ServedModel("iris", "2", "b", faulty, faulty))), spec);
        var sink = new CollectingSink();
        await using var app = ServingApp.Build(new ServeOptions { Port = 0, InferenceSink = sink }, new DeploymentRuntime(table));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = KeelApp.BoundAddress(app) };
        var latencies = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var watch = Stopwatch.StartNew();
            var (status, version, _, body) = await new DeploymentFixtureHttp(http).InvokeAsync("/invocations");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            Assert.True(status == 200, body);
            Assert.Equal("1", version);
        }

        // Shadow calls alternate between throwing and sleeping 200 ms; live answers never wait for them.
        latencies.Sort();
        Assert.True(latencies[^3] < 150, $"p95 live latency {latencies[^3]:0.#} ms");
        Assert.True(await DeploymentFixture.EventuallyAsync(() => Task.FromResult(sink.Records.Any(r => r.Shadow && r.Status == 500))));
        var failed = sink.Records.First(r => r.Shadow && r.Status == 500);
        Assert.Contains("shadow failure", failed.Error, StringComparison.Ordinal);
    }

    private sealed class BlockingSink : IInferenceSink
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct) => Release.Task.WaitAsync(ct);
    }

    private sealed class CollectingSink : IInferenceSink
    {
        private readonly List<InferenceRecord> _records = [];

        public IReadOnlyList<InferenceRecord> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct)
        {
            lock (_records)
            {
                _records.AddRange(records);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Fault injection: a real model whose every other call throws and the others take 200 ms.</summary>
    private sealed class FaultyPredictor(IPredictor inner) : IPredictor
    {
        private int _calls;

        public string Flavor => inner.Flavor;

        public ModelManifest Manifest => inner.Manifest;

        public ModelSignature Signature => inner.Signature;

        public PredictionResult Predict(Table input)
        {
            if (Interlocked.Increment(ref _calls) % 2 == 0)
            {
                throw new InvalidOperationException("shadow failure");
            }

            Thread.Sleep(200);
            return inner.Predict(input);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class DeploymentFixtureHttp(HttpClient http)
    {
        public async Task<(int Status, string? Version, string? Route, string Body)> InvokeAsync(string path)
        {
            using var response = await http.PostAsync(path, new StringContent(await DeploymentFixture.IrisBodyAsync(), System.Text.Encoding.UTF8, "application/json"));
            return ((int)response.StatusCode, response.Headers.GetValues(ServingEndpoints.ModelVersionHeader).FirstOrDefault(), null,
                await response.Content.ReadAsStringAsync());
        }
    }
}
