using System.Net;
using System.Text;
using System.Text.Json;
using Keel.Server.Endpoints;

namespace Keel.Server.Tests.Http;

/// <summary>
/// The leniency MLflow's own server shows when decoding requests (reference §1.2) and the shape of
/// its answers (§1.3): what Java, R, npm and old Python clients send must work unchanged.
/// </summary>
public sealed class ProtocolDecodingTests(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private const string Api = Mlflow.Api;
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Int64_fields_sent_as_json_strings_are_read_as_numbers_like_the_java_client_sends_them()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric",
            $$"""{"run_id":"{{runId}}","key":"acc","value":0.5,"timestamp":"1700000000000","step":"7"}""").OkAsync();

        var metric = await SingleMetricAsync(runId, "acc");
        Assert.Equal(JsonValueKind.Number, metric.GetProperty("timestamp").ValueKind);
        Assert.Equal(1_700_000_000_000L, metric.GetProperty("timestamp").GetInt64());
        Assert.Equal(7L, metric.GetProperty("step").GetInt64());
        Assert.Equal(0.5, metric.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Every_scalar_sent_as_a_string_is_read_like_the_r_client_sends_it()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var created = await _client.PostJsonAsync(Api + "runs/create",
            $$"""{"experiment_id":"{{experimentId}}","start_time":"1700000000123","run_name":"r-client"}""").OkAsync();
        var runId = created.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        Assert.Equal(1_700_000_000_123L, created.GetProperty("run").GetProperty("info").GetProperty("start_time").GetInt64());

        await _client.PostJsonAsync(Api + "runs/log-metric",
            $$"""{"run_id":"{{runId}}","key":"acc","value":"0.95","timestamp":"1700000000000","step":"3"}""").OkAsync();
        await _client.PostJsonAsync(Api + "runs/log-batch",
            $$"""{"run_id":"{{runId}}","metrics":[{"key":"loss","value":"0.25","timestamp":"5","step":"2"}],"params":[{"key":"n","value":"10"}]}""").OkAsync();

        var acc = await SingleMetricAsync(runId, "acc");
        Assert.Equal(0.95, acc.GetProperty("value").GetDouble());
        Assert.Equal(3L, acc.GetProperty("step").GetInt64());
        var loss = await SingleMetricAsync(runId, "loss");
        Assert.Equal(0.25, loss.GetProperty("value").GetDouble());
        Assert.Equal(5L, loss.GetProperty("timestamp").GetInt64());
        Assert.Equal("10", (await _client.RunDataAsync(runId, "params"))["n"]);
    }

    [Fact]
    public async Task Camel_case_field_names_are_accepted_as_protobuf_json_allows()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-parameter", $$"""{"runId":"{{runId}}","key":"camel","value":"yes"}""").OkAsync();
        await _client.PostJsonAsync(Api + "runs/update", $$"""{"runId":"{{runId}}","status":"FINISHED","endTime":1700000009999}""").OkAsync();

        Assert.Equal("yes", (await _client.RunDataAsync(runId, "params"))["camel"]);
        var info = (await _client.GetRunAsync(runId)).GetProperty("run").GetProperty("info");
        Assert.Equal(1_700_000_009_999L, info.GetProperty("end_time").GetInt64());
    }

    [Fact]
    public async Task A_double_encoded_body_is_decoded_twice()
    {
        var name = Mlflow.UniqueName("double-encoded");
        var inner = JsonSerializer.Serialize(new { name });
        var created = await _client.PostJsonAsync(Api + "experiments/create", JsonSerializer.Serialize(inner)).OkAsync();

        var byName = await _client.GetAsync(Api + "experiments/get-by-name?experiment_name=" + name).OkAsync();
        Assert.Equal(created.GetProperty("experiment_id").GetString(), byName.GetProperty("experiment").GetProperty("experiment_id").GetString());
    }

    [Fact]
    public async Task Run_uuid_is_accepted_where_run_id_is_absent()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", new { run_uuid = runId, key = "legacy", value = 1.5, timestamp = 10 }).OkAsync();
        await _client.PostJsonAsync(Api + "runs/set-tag", new { run_uuid = runId, key = "legacy", value = "tag" }).OkAsync();

        var run = await _client.GetAsync(Api + "runs/get?run_uuid=" + runId).OkAsync();
        Assert.Equal(runId, run.GetProperty("run").GetProperty("info").GetProperty("run_uuid").GetString());
        Assert.Equal("tag", (await _client.RunDataAsync(runId, "tags"))["legacy"]);
        var history = await _client.GetAsync($"{Api}metrics/get-history?run_uuid={runId}&metric_key=legacy").OkAsync();
        Assert.Equal(1.5, history.GetProperty("metrics")[0].GetProperty("value").GetDouble());
    }

    [Theory]
    [InlineData("3", "FINISHED")]
    [InlineData("\"3\"", "FINISHED")]
    [InlineData("\"KILLED\"", "KILLED")]
    [InlineData("4", "FAILED")]
    [InlineData("\"SCHEDULED\"", "SCHEDULED")]
    public async Task Run_status_is_accepted_by_number_and_by_name_and_answered_by_name(string status, string expected)
    {
        var runId = await _client.CreateRunAsync();
        var updated = await _client.PostJsonAsync(Api + "runs/update", $$"""{"run_id":"{{runId}}","status":{{status}},"end_time":1700000001000}""").OkAsync();

        Assert.Equal(expected, updated.GetProperty("run_info").GetProperty("status").GetString());
        var info = (await _client.GetRunAsync(runId)).GetProperty("run").GetProperty("info");
        Assert.Equal(expected, info.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("9")]
    [InlineData("\"DONE\"")]
    public async Task An_unknown_run_status_is_a_400_naming_status_and_leaves_the_run_running(string status)
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/update", $$"""{"run_id":"{{runId}}","status":{{status}}}""")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'status'");

        var info = (await _client.GetRunAsync(runId)).GetProperty("run").GetProperty("info");
        Assert.Equal("RUNNING", info.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Run_view_type_is_accepted_by_number_and_by_name()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var runId = await _client.CreateRunAsync(experimentId);
        await _client.PostJsonAsync(Api + "runs/delete", new { run_id = runId }).OkAsync();

        var byNumber = await _client.PostJsonAsync(Api + "runs/search", $$"""{"experiment_ids":["{{experimentId}}"],"run_view_type":2}""").OkAsync();
        var byName = await _client.PostJsonAsync(Api + "runs/search", $$"""{"experiment_ids":["{{experimentId}}"],"run_view_type":"DELETED_ONLY"}""").OkAsync();
        var active = await _client.PostJsonAsync(Api + "runs/search", $$"""{"experiment_ids":["{{experimentId}}"]}""").OkAsync();

        Assert.Equal(runId, byNumber.GetProperty("runs")[0].GetProperty("info").GetProperty("run_id").GetString());
        Assert.Equal(runId, byName.GetProperty("runs")[0].GetProperty("info").GetProperty("run_id").GetString());
        Assert.False(active.TryGetProperty("runs", out _));
    }

    [Fact]
    public async Task A_get_query_with_repeated_keys_reads_a_repeated_field()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var first = await _client.CreateRunAsync(experimentId);
        var second = await _client.CreateRunAsync(experimentId);
        var third = await _client.CreateRunAsync(experimentId);
        foreach (var (runId, value) in new[] { (first, 1.0), (second, 2.0), (third, 3.0) })
        {
            await _client.PostJsonAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value, timestamp = 1, step = 0 }).OkAsync();
        }

        var answer = await _client.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={first}&run_ids={second}&metric_key=m").OkAsync();

        var runIds = answer.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("run_id").GetString()).ToList();
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), runIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nan_and_infinities_sent_as_strings_come_back_as_mlflow_returns_them()
    {
        var runId = await _client.CreateRunAsync();
        await _client.PostJsonAsync(Api + "runs/log-batch", $$"""
            {"run_id":"{{runId}}","metrics":[
              {"key":"nan","value":"NaN","timestamp":1,"step":0},
              {"key":"pos","value":"Infinity","timestamp":1,"step":0},
              {"key":"neg","value":"-Infinity","timestamp":1,"step":0}]}
            """).OkAsync();
        await _client.PostJsonAsync(Api + "runs/log-metric", $$"""{"run_id":"{{runId}}","key":"single","value":"NaN","timestamp":"2"}""").OkAsync();

        // NaN keeps its identity as the string "NaN"; ±∞ is clamped by the store (reference §1.3, §6.2).
        Assert.Equal("NaN", (await SingleMetricAsync(runId, "nan")).GetProperty("value").GetString());
        Assert.Equal("NaN", (await SingleMetricAsync(runId, "single")).GetProperty("value").GetString());
        Assert.Equal(double.MaxValue, (await SingleMetricAsync(runId, "pos")).GetProperty("value").GetDouble());
        Assert.Equal(-double.MaxValue, (await SingleMetricAsync(runId, "neg")).GetProperty("value").GetDouble());

        foreach (var (key, expected) in new[] { ("nan", "\"NaN\""), ("pos", null), ("neg", null) })
        {
            var history = await _client.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key={key}").OkAsync();
            var value = history.GetProperty("metrics")[0].GetProperty("value");
            if (expected is not null)
            {
                Assert.Equal(expected, value.GetRawText());
            }
            else
            {
                Assert.Equal(JsonValueKind.Number, value.ValueKind);
                Assert.Equal(key == "pos" ? double.MaxValue : -double.MaxValue, value.GetDouble());
            }
        }
    }

    [Fact]
    public async Task An_experiment_id_sent_as_a_json_number_is_read_as_the_string_id()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var created = await _client.PostJsonAsync(Api + "runs/create", $$"""{"experiment_id":{{experimentId}}}""").OkAsync();
        Assert.Equal(experimentId, created.GetProperty("run").GetProperty("info").GetProperty("experiment_id").GetString());

        await _client.PostJsonAsync(Api + "experiments/set-experiment-tag", $$"""{"experiment_id":{{experimentId}},"key":"k","value":"v"}""").OkAsync();
        var search = await _client.PostJsonAsync(Api + "runs/search", $$"""{"experiment_ids":[{{experimentId}}]}""").OkAsync();
        Assert.Single(search.GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public async Task Answers_omit_unset_fields_and_empty_results_are_an_empty_object()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var runId = await _client.CreateRunAsync(experimentId);

        var run = (await _client.GetRunAsync(runId)).GetProperty("run");
        var info = run.GetProperty("info");
        Assert.Equal("RUNNING", info.GetProperty("status").GetString());
        Assert.False(info.TryGetProperty("end_time", out _), "a RUNNING run has no end_time");
        Assert.Equal(JsonValueKind.Number, info.GetProperty("start_time").ValueKind);
        Assert.False(run.GetProperty("data").TryGetProperty("metrics", out _));
        Assert.False(run.GetProperty("data").TryGetProperty("params", out _));

        var noHits = await _client.PostJsonAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, filter = "metrics.x > 1" }).OkAsync();
        Assert.Equal("{}", noHits.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        var noHistory = await _client.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=never-logged").OkAsync();
        Assert.Empty(noHistory.EnumerateObject());
        var logged = await _client.PostJsonAsync(Api + "runs/set-tag", new { run_id = runId, key = "k", value = "v" }).OkAsync();
        Assert.Empty(logged.EnumerateObject());
        var experiment = (await _client.GetAsync(Api + "experiments/get?experiment_id=" + experimentId).OkAsync()).GetProperty("experiment");
        Assert.False(experiment.TryGetProperty("tags", out _));
    }

    [Fact]
    public async Task The_legacy_experiments_list_endpoint_lists_experiments()
    {
        var name = Mlflow.UniqueName("legacy-list");
        var experimentId = await _client.CreateExperimentAsync(name);

        var list = await _client.GetAsync(Api + "experiments/list").OkAsync();

        var names = list.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains(name, names);
        Assert.Contains("Default", names);
        Assert.Contains(experimentId, list.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("experiment_id").GetString()));
    }

    [Fact]
    public async Task The_npm_clients_mis_slashed_set_experiment_tag_route_sets_the_tag()
    {
        var experimentId = await _client.CreateExperimentAsync();
        await _client.PostJsonAsync(Api + "experimentsset-experiment-tag", new { experiment_id = experimentId, key = "from", value = "npm" }).OkAsync();

        var experiment = (await _client.GetAsync(Api + "experiments/get?experiment_id=" + experimentId).OkAsync()).GetProperty("experiment");
        var tag = Assert.Single(experiment.GetProperty("tags").EnumerateArray());
        Assert.Equal("from", tag.GetProperty("key").GetString());
        Assert.Equal("npm", tag.GetProperty("value").GetString());
    }

    [Fact]
    public async Task The_ajax_api_prefix_serves_the_same_data_as_the_api_prefix()
    {
        var name = Mlflow.UniqueName("ajax");
        var created = await _client.PostJsonAsync("/ajax-api/2.0/mlflow/experiments/create", new { name }).OkAsync();
        var experimentId = created.GetProperty("experiment_id").GetString();

        var viaApi = await _client.GetAsync(Api + "experiments/get?experiment_id=" + experimentId).OkAsync();
        var viaAjax = await _client.GetAsync("/ajax-api/2.0/mlflow/experiments/get?experiment_id=" + experimentId).OkAsync();
        Assert.Equal(name, viaApi.GetProperty("experiment").GetProperty("name").GetString());
        Assert.Equal(viaApi.GetRawText(), viaAjax.GetRawText());
    }

    public static TheoryData<string, string> Routes()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in MlflowRouteTable.Create().Routes)
        {
            data.Add(route.Method, route.Path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_answers_the_same_under_the_ajax_api_prefix(string method, string path)
    {
        // Catch-all artifact routes get a concrete path; the same harmless request goes to both prefixes.
        var concrete = path.Replace("{**path}", "ajax-probe/" + Guid.NewGuid().ToString("N") + ".txt", StringComparison.Ordinal);
        var answers = new List<(HttpStatusCode Status, string? ErrorCode)>();
        foreach (var prefix in new[] { "/api/2.0/", "/ajax-api/2.0/" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), prefix + concrete);
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using var response = await _client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            string? errorCode = null;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                using var document = JsonDocument.Parse(text);
                errorCode = document.RootElement.GetProperty("error_code").GetString();
            }

            Assert.NotEqual("ENDPOINT_NOT_FOUND", errorCode);
            Assert.NotEqual(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            answers.Add((response.StatusCode, errorCode));
        }

        Assert.Equal(answers[0], answers[1]);
    }

    private async Task<JsonElement> SingleMetricAsync(string runId, string key)
    {
        var run = await _client.GetRunAsync(runId);
        return run.GetProperty("run").GetProperty("data").GetProperty("metrics").EnumerateArray()
            .Single(m => m.GetProperty("key").GetString() == key);
    }
}
