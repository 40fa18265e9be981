using System.Net;
using Keel.Client;
using Keel.Core.Deployments;

namespace Keel.Server.Tests.Deployments;

/// <summary>Deployments inside `keel server`: routes and weights, sticky keys, alias-following, revisions, rollback, failed updates.</summary>
public sealed class DeploymentsTests
{
    [Fact]
    public async Task A_90_10_split_over_10000_requests_lands_within_two_percent_and_a_sticky_key_never_changes_version()
    {
        await using var f = await DeploymentFixture.StartAsync();
        var spec = DeploymentFixture.Spec(new RouteSpec("stable", "models:/iris/1", 90), new RouteSpec("canary", "models:/iris/2", 10));
        var deployment = await f.Client.CreateDeploymentAsync("split", spec with { StickyHeader = "X-Keel-Route-Key" });
        Assert.Equal(1, deployment.Revision);
        Assert.Equal(["1", "2"], deployment.Serving.Select(r => r.Version));
        Assert.Equal(0.9, deployment.Serving[0].Share, 6);

        var canary = 0;
        var requests = 10_000;
        await Parallel.ForAsync(0, requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            var (status, version, _, body) = await f.InvokeAsync("split");
            Assert.True(status == 200, body);
            if (version == "2")
            {
                Interlocked.Increment(ref canary);
            }
        });
        Assert.InRange(canary / (double)requests, 0.08, 0.12);

        for (var key = 0; key < 40; key++)
        {
            var versions = new HashSet<string?>();
            for (var i = 0; i < 10; i++)
            {
                versions.Add((await f.InvokeAsync("split", stickyHeader: "X-Keel-Route-Key", key: "caller-" + key)).Version);
            }

            Assert.Single(versions);
        }
    }

    [Fact]
    public async Task A_route_that_follows_an_alias_moves_its_traffic_when_the_alias_moves()
    {
        await using var f = await DeploymentFixture.StartAsync();
        await f.Client.SetRegisteredModelAliasAsync("iris", "champion", "1");
        await f.Client.CreateDeploymentAsync("follow", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris@champion", 100)));
        Assert.Equal("1", (await f.InvokeAsync("follow")).Version);

        await f.Client.SetRegisteredModelAliasAsync("iris", "champion", "2");
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.InvokeAsync("follow")).Version == "2"));
        var history = await f.Client.GetDeploymentHistoryAsync("follow");
        Assert.Contains(history.Events, e => e.Kind == "followed" && e.Message.Contains("iris/2", StringComparison.Ordinal));
        Assert.Single(history.Revisions); // following an alias is not a new revision
    }

    [Fact]
    public async Task Every_change_is_a_revision_and_rollback_returns_to_any_earlier_one()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 3);
        await f.Client.CreateDeploymentAsync("revs", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)), message: "first");
        await f.Client.UpdateDeploymentAsync("revs", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/2", 100)), message: "second");
        await f.Client.UpdateDeploymentAsync("revs", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/3", 100)));
        Assert.Equal("3", (await f.InvokeAsync("revs")).Version);

        var back = await f.Client.RollbackDeploymentAsync("revs", revision: 1);
        Assert.Equal(4, back.Revision);
        Assert.Equal("1", (await f.InvokeAsync("revs")).Version);
        var previous = await f.Client.RollbackDeploymentAsync("revs");
        Assert.Equal("3", previous.Serving.Single().Version);

        var history = await f.Client.GetDeploymentHistoryAsync("revs");
        Assert.Equal(["rollback", "rollback", "update", "update", "create"], history.Revisions.Select(r => r.Kind));
        Assert.Equal(["primary=iris/1"], history.Revisions[1].Versions);
        Assert.Equal("first", history.Revisions[^1].Message);

        var error = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.RollbackDeploymentAsync("revs", revision: 9));
        Assert.Contains("revision", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_to_a_model_that_cannot_load_fails_clearly_and_the_old_version_keeps_serving()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("safe", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));

        // A registered version whose model file is then damaged in the artifact store.
        await f.RegisterAsync("iris", "iris_forest.onnx", 1);
        var location = await f.Client.GetModelVersionDownloadUriAsync("iris", "2");
        var file = Path.Combine(f.Server.DataDir, "artifacts", location["mlflow-artifacts:/".Length..], "model.onnx");
        Assert.True(File.Exists(file), file);
        await File.WriteAllBytesAsync(file, [1, 2, 3, 4, 5, 6, 7, 8]);
        var error = await Assert.ThrowsAsync<KeelApiException>(() =>
            f.Client.UpdateDeploymentAsync("safe", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/2", 100))));
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatus);
        Assert.Contains("Route 'primary'", error.Message, StringComparison.Ordinal);
        Assert.Contains("models:/iris/2", error.Message, StringComparison.Ordinal);

        var after = await f.Client.GetDeploymentAsync("safe");
        Assert.Equal(1, after.Revision);
        Assert.Equal("1", (await f.InvokeAsync("safe")).Version);

        // An unknown version, a bad weight, a missing model: 4xx naming the field; nothing stored.
        var missing = await Assert.ThrowsAsync<KeelApiException>(() =>
            f.Client.UpdateDeploymentAsync("safe", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/99", 100))));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatus);
        var weight = await f.ApiAsync(HttpMethod.Post, "deployments/update", new { name = "safe", routes = new[] { new { model_uri = "models:/iris/1", weight = -1 } } });
        Assert.Contains("routes[0].weight", weight.GetProperty("message").GetString(), StringComparison.Ordinal);
        var uri = await f.ApiAsync(HttpMethod.Post, "deployments/create", new { name = "bad", routes = new[] { new { model_uri = "s3://x/model", weight = 1 } } });
        Assert.Equal("INVALID_PARAMETER_VALUE", uri.GetProperty("error_code").GetString());
        Assert.Contains("routes[0].model_uri", uri.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await f.Client.GetDeploymentAsync("safe")).Revision);
        Assert.Single(await f.Client.ListDeploymentsAsync());
    }

    [Fact]
    public async Task Deployments_answer_the_open_inference_protocol_and_metrics_count_them()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("oip", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        var metadata = await f.Http.GetStringAsync("/v2/models/oip");
        Assert.Contains("\"versions\":[\"1\"]", metadata, StringComparison.Ordinal);
        var infer = """{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""";
        using var response = await f.Http.PostAsync("/v2/models/oip/infer", new StringContent(infer, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Contains("\"model_version\":\"1\"", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Http.GetAsync("/v2/models/nope")).StatusCode);

        Assert.Equal(200, (await f.InvokeAsync("oip")).Status);
        var metrics = await f.Http.GetStringAsync("/metrics");
        Assert.Contains("keel_predictions_total{deployment=\"oip\",route=\"primary\",version=\"1\",status=\"2xx\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("keel_inference_log_dropped_total 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_requests_to_a_deployment_are_clear_errors_and_it_keeps_serving()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("strict", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        var malformed = await f.InvokeAsync("strict", "{\"dataframe_records\": [");
        Assert.Equal(400, malformed.Status);
        var wrongShape = await f.InvokeAsync("strict", """{"dataframe_records": [{"sepal_length": 1, "sepal_width": 2, "petal_length": 3}]}""");
        Assert.Equal(400, wrongShape.Status);
        Assert.Contains("4 values", wrongShape.Body, StringComparison.Ordinal);

        // A model with one named input per column names the missing one.
        await f.RegisterAsync("diabetes", "diabetes_linear.onnx", 1);
        await f.Client.CreateDeploymentAsync("columns", DeploymentFixture.Spec(new RouteSpec("primary", "models:/diabetes/1", 100)));
        var wrongColumn = await f.InvokeAsync("columns", """{"dataframe_split": {"columns": ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s7"], "data": [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}}""");
        Assert.Equal(400, wrongColumn.Status);
        Assert.Contains("s6", wrongColumn.Body, StringComparison.Ordinal);
        var wrongType = await f.InvokeAsync("strict", """{"dataframe_records": [{"sepal_length": "x", "sepal_width": 2, "petal_length": 3, "petal_width": 4}]}""");
        Assert.Equal(400, wrongType.Status);
        Assert.Contains("sepal_length", wrongType.Body, StringComparison.Ordinal);
        var empty = await f.InvokeAsync("strict", """{"dataframe_records": []}""");
        Assert.True(empty.Status == 400, $"{empty.Status}: {empty.Body}");

        using var huge = new ByteArrayContent(new byte[50 * 1024 * 1024]);
        huge.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var tooLarge = await f.Http.PostAsync("/deployments/strict/invocations", huge);
        Assert.True(tooLarge.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"got {(int)tooLarge.StatusCode}");
        Assert.Equal(404, (await f.InvokeAsync("nope")).Status);

        // Each refused request is in the inference log with the status its caller got (the
        // over-size body too: not a 500), under the request id its error response carried.
        var tooLargeId = tooLarge.Headers.GetValues("X-Request-Id").Single();
        IReadOnlyList<Keel.Core.Inference.InferenceRecord> refused = [];
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (refused = await f.Client.SearchInferenceLogAsync("strict")).Count >= 5));
        Assert.All(refused, r => Assert.True(r.Status is 400 or 413, $"{r.RequestId}: {r.Status} {r.Error}"));
        Assert.Equal((int)tooLarge.StatusCode, refused.Single(r => r.RequestId == tooLargeId).Status);

        var after = await f.InvokeAsync("strict");
        Assert.True(after.Status == 200, $"{after.Status}: {after.Body}");
    }
}
