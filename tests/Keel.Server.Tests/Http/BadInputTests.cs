using System.Net;
using System.Text;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Http;

/// <summary>
/// Requests the server must refuse (reference §1.2, §1.4, §4, §6.2): each answer carries MLflow's
/// status and error_code and a message naming the field and the rule, and re-reading the state
/// afterwards shows that nothing of the refused call was written.
/// </summary>
public sealed class BadInputTests(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private const string Api = Mlflow.Api;
    private const string InvalidParameter = "INVALID_PARAMETER_VALUE";
    private readonly HttpClient _client = fixture.Client;

    // ---------------------------------------------------------------- malformed bodies and wrong types

    [Fact]
    public async Task Malformed_json_is_a_400_that_says_the_json_is_malformed_and_creates_nothing()
    {
        var name = Mlflow.UniqueName("malformed");
        await _client.PostJsonAsync(Api + "experiments/create", "{\"name\": \"" + name + "\",")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Malformed JSON");

        await AssertNoExperimentNamedAsync(name);
    }

    [Fact]
    public async Task A_body_that_is_a_json_array_is_a_400_that_asks_for_an_object_and_creates_nothing()
    {
        var name = Mlflow.UniqueName("array");
        await _client.PostJsonAsync(Api + "experiments/create", "[{\"name\": \"" + name + "\"}]")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "JSON object");

        await AssertNoExperimentNamedAsync(name);
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("true")]
    [InlineData("{\"x\": 1}")]
    [InlineData("[0.5]")]
    public async Task A_metric_value_that_is_not_a_number_is_a_400_naming_value(string value)
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", $$"""{"run_id":"{{runId}}","key":"m","value":{{value}},"timestamp":1}""")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'value'");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Fact]
    public async Task An_object_for_a_metric_key_is_a_400_naming_key()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", $$"""{"run_id":"{{runId}}","key":{"k":"m"},"value":1,"timestamp":1}""")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'key'");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Fact]
    public async Task A_timestamp_that_is_not_an_integer_is_a_400_naming_timestamp()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", $$"""{"run_id":"{{runId}}","key":"m","value":1,"timestamp":"yesterday"}""")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'timestamp'");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    // ---------------------------------------------------------------- missing required fields

    [Theory]
    [InlineData("run_id")]
    [InlineData("key")]
    [InlineData("value")]
    [InlineData("timestamp")]
    public async Task Log_metric_without_a_required_field_is_a_400_naming_that_field(string missing)
    {
        var runId = await _client.CreateRunAsync();
        var fields = new Dictionary<string, object> { ["run_id"] = runId, ["key"] = "m", ["value"] = 0.5, ["timestamp"] = 1_700_000_000_000L, ["step"] = 1 };
        fields.Remove(missing);

        await _client.PostJsonAsync(Api + "runs/log-metric", fields)
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, $"Missing value for required parameter '{missing}'");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\": \"\"}")]
    [InlineData("")]
    public async Task Experiments_create_without_a_name_is_a_400_naming_name(string body)
    {
        await _client.PostJsonAsync(Api + "experiments/create", body)
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'name'");
    }

    [Theory]
    [InlineData("metrics", """[{"key":"a","value":1,"timestamp":1},{"value":2,"timestamp":2}]""", "metrics[1].key")]
    [InlineData("metrics", """[{"key":"a","value":1,"timestamp":1},{"key":"b","timestamp":2}]""", "metrics[1].value")]
    [InlineData("metrics", """[{"key":"a","value":1,"timestamp":1},{"key":"b","value":2}]""", "metrics[1].timestamp")]
    [InlineData("params", """[{"key":"a","value":"1"},{"key":"","value":"2"}]""", "params[1].key")]
    [InlineData("tags", """[{"key":"a","value":"1"},{"value":"2"}]""", "tags[1].key")]
    public async Task Log_batch_names_the_index_of_the_item_missing_a_field_and_stores_none_of_the_batch(string field, string items, string named)
    {
        var runId = await _client.CreateRunAsync();
        var others = field == "params" ? "" : ""","params":[{"key":"p","value":"v"}]""";
        await _client.PostJsonAsync(Api + "runs/log-batch", $$"""{"run_id":"{{runId}}","{{field}}":{{items}}{{others}}}""")
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, $"'{named}'");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    // ---------------------------------------------------------------- over-size strings

    [Fact]
    public async Task An_experiment_name_over_500_characters_is_a_400_naming_the_limit()
    {
        var name = "n" + new string('x', 500);
        await _client.PostJsonAsync(Api + "experiments/create", new { name })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Experiment name", "length 501", "limit of 500");

        await AssertNoExperimentNamedAsync(name);
    }

    [Fact]
    public async Task A_metric_key_over_250_characters_is_a_400_naming_the_limit()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", new { run_id = runId, key = new string('k', 251), value = 1, timestamp = 1 })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Metric name", "length 251", "limit of 250");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Fact]
    public async Task An_experiment_tag_value_over_5000_characters_is_a_400_naming_the_limit()
    {
        var experimentId = await _client.CreateExperimentAsync();
        await _client.PostJsonAsync(Api + "experiments/set-experiment-tag", new { experiment_id = experimentId, key = "big", value = new string('v', 5001) })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Tag value", "length 5001", "limit of 5000");

        var experiment = await _client.GetAsync(Api + "experiments/get?experiment_id=" + experimentId).OkAsync();
        Assert.False(experiment.GetProperty("experiment").TryGetProperty("tags", out _));
    }

    [Fact]
    public async Task An_experiment_created_with_an_over_long_tag_value_is_not_created()
    {
        var name = Mlflow.UniqueName("long-tag");
        await _client.PostJsonAsync(Api + "experiments/create", new { name, tags = new[] { new { key = "big", value = new string('v', 5001) } } })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "limit of 5000");

        await AssertNoExperimentNamedAsync(name);
    }

    [Fact]
    public async Task A_param_value_over_6000_characters_is_truncated_to_6000_not_rejected()
    {
        var runId = await _client.CreateRunAsync();
        var value = new string('a', 6000) + new string('b', 100);
        await _client.PostJsonAsync(Api + "runs/log-parameter", new { run_id = runId, key = "long", value }).OkAsync();

        var stored = (await _client.RunDataAsync(runId, "params"))["long"];
        Assert.Equal(new string('a', 6000), stored);
    }

    // ---------------------------------------------------------------- batch sizes

    [Fact]
    public async Task Log_batch_rejects_1001_metrics_naming_the_limit_and_stores_none_of_the_batch()
    {
        var runId = await _client.CreateRunAsync();
        var metrics = Enumerable.Range(0, 1001).Select(i => new { key = "m", value = (double)i, timestamp = 1L, step = (long)i });
        await _client.PostJsonAsync(Api + "runs/log-batch", new { run_id = runId, metrics, @params = new[] { new { key = "p", value = "v" } } })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "at most 1000 metrics", "Got 1001 metrics");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Fact]
    public async Task Log_batch_rejects_101_params_naming_the_limit_and_stores_none_of_the_batch()
    {
        var runId = await _client.CreateRunAsync();
        var parameters = Enumerable.Range(0, 101).Select(i => new { key = $"p{i}", value = "v" });
        await _client.PostJsonAsync(Api + "runs/log-batch", new
        {
            run_id = runId,
            @params = parameters,
            metrics = new[] { new { key = "m", value = 1.0, timestamp = 1L } },
        }).ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "at most 100 params", "Got 101 params");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    [Fact]
    public async Task Log_batch_rejects_101_tags_naming_the_limit_and_stores_none_of_the_batch()
    {
        var runId = await _client.CreateRunAsync();
        var tags = Enumerable.Range(0, 101).Select(i => new { key = $"t{i}", value = "v" });
        await _client.PostJsonAsync(Api + "runs/log-batch", new { run_id = runId, tags, @params = new[] { new { key = "p", value = "v" } } })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "at most 100 tags", "Got 101 tags");

        await _client.AssertRunIsEmptyAsync(runId);
    }

    // ---------------------------------------------------------------- unknown ids and lifecycle

    [Fact]
    public async Task An_unknown_run_id_is_a_404_resource_does_not_exist_naming_the_id()
    {
        var unknown = Guid.NewGuid().ToString("N");
        await _client.GetAsync(Api + "runs/get?run_id=" + unknown)
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", unknown);
        await _client.PostJsonAsync(Api + "runs/log-metric", new { run_id = unknown, key = "m", value = 1, timestamp = 1 })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", unknown);
        await _client.PostJsonAsync(Api + "runs/log-batch", new { run_id = unknown, @params = new[] { new { key = "p", value = "v" } } })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", unknown);
    }

    [Fact]
    public async Task An_unknown_experiment_id_is_a_404_resource_does_not_exist_and_no_run_is_created()
    {
        await _client.GetAsync(Api + "experiments/get?experiment_id=987654321")
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "987654321");
        await _client.PostJsonAsync(Api + "runs/create", new { experiment_id = "987654321" })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "987654321");
        await _client.PostJsonAsync(Api + "experiments/set-experiment-tag", new { experiment_id = "987654321", key = "k", value = "v" })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "987654321");

        var runs = await _client.PostJsonAsync(Api + "runs/search", new { experiment_ids = new[] { "987654321" }, run_view_type = "ALL" }).OkAsync();
        Assert.False(runs.TryGetProperty("runs", out _));
    }

    [Fact]
    public async Task Changing_a_param_is_a_400_naming_the_key_and_the_rest_of_the_batch_is_not_stored()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-parameter", new { run_id = runId, key = "alpha", value = "0.5" }).OkAsync();

        await _client.PostJsonAsync(Api + "runs/log-batch", new
        {
            run_id = runId,
            @params = new[] { new { key = "beta", value = "1" }, new { key = "alpha", value = "0.7" } },
            metrics = new[] { new { key = "loss", value = 0.1, timestamp = 1L, step = 0L } },
            tags = new[] { new { key = "note", value = "x" } },
        }).ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Changing param values is not allowed", "key='alpha'", "'0.5'", "'0.7'");

        Assert.Equal(new Dictionary<string, string>(StringComparer.Ordinal) { ["alpha"] = "0.5" }, await _client.RunDataAsync(runId, "params"));
        Assert.Empty(await _client.RunDataAsync(runId, "metrics"));
        Assert.Empty(await _client.RunDataAsync(runId, "tags"));

        // Logging the same value again is not a change.
        await _client.PostJsonAsync(Api + "runs/log-parameter", new { run_id = runId, key = "alpha", value = "0.5" }).OkAsync();
    }

    [Fact]
    public async Task Logging_to_a_deleted_run_is_a_400_saying_the_run_must_be_active_and_stores_nothing()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/delete", new { run_id = runId }).OkAsync();

        await _client.PostJsonAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = 1, timestamp = 1 })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, runId, "'active' state");
        await _client.PostJsonAsync(Api + "runs/log-parameter", new { run_id = runId, key = "p", value = "v" })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'active' state");
        await _client.PostJsonAsync(Api + "runs/set-tag", new { run_id = runId, key = "t", value = "v" })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'active' state");
        await _client.PostJsonAsync(Api + "runs/log-batch", new { run_id = runId, tags = new[] { new { key = "t", value = "v" } } })
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "'active' state");

        var run = await _client.GetRunAsync(runId);
        Assert.Equal("deleted", run.GetProperty("run").GetProperty("info").GetProperty("lifecycle_stage").GetString());
        await _client.AssertRunIsEmptyAsync(runId);
    }

    // ---------------------------------------------------------------- transport-level refusals

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task A_post_without_a_json_content_type_is_a_400_naming_content_type_and_creates_nothing(string? contentType)
    {
        var name = Mlflow.UniqueName("content-type");
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { name })));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        await _client.PostAsync(Api + "experiments/create", content)
            .ErrorAsync(HttpStatusCode.BadRequest, InvalidParameter, "Content-Type must be one of [application/json]");

        await AssertNoExperimentNamedAsync(name);
    }

    [Fact]
    public async Task A_json_content_type_with_a_charset_is_accepted()
    {
        var name = Mlflow.UniqueName("charset");
        using var content = new StringContent(JsonSerializer.Serialize(new { name }), Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        await _client.PostAsync(Api + "experiments/create", content).OkAsync();
    }

    [Fact]
    public async Task A_body_over_max_request_mb_is_a_413_with_a_json_error_naming_the_limit_and_stores_nothing()
    {
        await using var server = await KeelServer.StartAsync(o => o.MaxRequestMb = 1);
        using var client = server.CreateClient();
        var runId = await client.CreateRunAsync();

        // 2 MB of valid log-batch JSON: one tag whose value alone is over the limit.
        var body = JsonSerializer.Serialize(new { run_id = runId, tags = new[] { new { key = "big", value = new string('x', 2 * 1024 * 1024) } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, Api + "runs/log-batch")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        // Kestrel answers 413 before reading the body and then closes the connection; without
        // `Expect: 100-continue` HttpClient would still be sending and report a broken pipe instead.
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"expected 413, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Mlflow.AssertErrorBody(text, InvalidParameter, "too large", "--max-request-mb");

        await client.AssertRunIsEmptyAsync(runId);
    }

    [Theory]
    [InlineData("GET", "/api/2.0/mlflow/no-such-thing")]
    [InlineData("POST", "/api/2.0/mlflow/runs/no-such-thing")]
    [InlineData("GET", "/ajax-api/2.0/mlflow/experiments/nope")]
    [InlineData("GET", "/api/2.0/preview/mlflow/experiments/list")]
    public async Task An_unknown_endpoint_is_a_404_endpoint_not_found_in_json(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        await _client.SendAsync(request).ErrorAsync(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND", path);
    }

    [Fact]
    public async Task An_unknown_endpoint_whose_last_segment_has_a_dot_is_a_404_endpoint_not_found_in_json()
    {
        await _client.GetAsync("/api/2.0/mlflow/runs/get.json").ErrorAsync(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        await _client.PostJsonAsync("/api/2.0/mlflow-artifacts/artifacts/model.pkl", "{}").ErrorAsync(HttpStatusCode.MethodNotAllowed, "BAD_REQUEST");
    }

    [Theory]
    [InlineData("GET", "/api/2.0/mlflow/runs/create")]
    [InlineData("GET", "/api/2.0/mlflow/runs/search")]
    [InlineData("POST", "/api/2.0/mlflow/runs/get")]
    [InlineData("DELETE", "/api/2.0/mlflow/experiments/create")]
    [InlineData("PUT", "/ajax-api/2.0/mlflow/metrics/get-history")]
    public async Task A_wrong_method_on_a_known_route_is_a_405(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.NotEmpty(response.Content.Headers.Allow);
        Assert.DoesNotContain(method, response.Content.Headers.Allow);
    }

    private async Task AssertNoExperimentNamedAsync(string name) =>
        await _client.GetAsync(Api + "experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(name))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
}
