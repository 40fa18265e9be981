using System.Net;
using System.Text;
using System.Text.Json;

namespace Keel.Server.Tests.Http;

/// <summary>The registry on the wire (reference §3): shapes, methods, MLflow's status codes, Keel's alias history.</summary>
public sealed class RegistryEndpointsTests(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private const string Api = Mlflow.Api;
    private readonly HttpClient _client = fixture.Client;

    private Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, object body) =>
        _client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") });

    private async Task<string> NewModelWithVersionsAsync(int versions)
    {
        var name = Mlflow.UniqueName("model");
        await _client.PostJsonAsync(Api + "registered-models/create", new { name, description = "d", tags = new[] { new { key = "team", value = "ml" } } }).OkAsync();
        for (var i = 0; i < versions; i++)
        {
            await _client.PostJsonAsync(Api + "model-versions/create", new { name, source = $"s3://bucket/{name}/{i}" }).OkAsync();
        }

        return name;
    }

    [Fact]
    public async Task Created_models_and_versions_have_mlflows_json_shape_under_both_prefixes()
    {
        var name = Mlflow.UniqueName("shape");
        var model = await _client.PostJsonAsync(Api + "registered-models/create", new { name }).OkAsync();
        Assert.Equal(name, model.GetProperty("registered_model").GetProperty("name").GetString());
        Assert.True(model.GetProperty("registered_model").GetProperty("creation_timestamp").GetInt64() > 0);
        Assert.False(model.GetProperty("registered_model").TryGetProperty("latest_versions", out _));

        var version = (await _client.PostJsonAsync("/ajax-api/2.0/mlflow/model-versions/create",
            new { name, source = "mlflow-artifacts:/0/abc/artifacts/model", run_id = "abc", tags = new[] { new { key = "k", value = "v" } } }).OkAsync())
            .GetProperty("model_version");
        Assert.Equal(JsonValueKind.String, version.GetProperty("version").ValueKind);
        Assert.Equal("1", version.GetProperty("version").GetString());
        Assert.Equal("None", version.GetProperty("current_stage").GetString());
        Assert.Equal("READY", version.GetProperty("status").GetString());
        Assert.Equal("abc", version.GetProperty("run_id").GetString());
        Assert.Equal("v", version.GetProperty("tags")[0].GetProperty("value").GetString());
        Assert.False(version.TryGetProperty("user_id", out _));

        var fetched = await _client.GetAsync(Api + $"model-versions/get?name={name}&version=1").OkAsync();
        Assert.Equal("mlflow-artifacts:/0/abc/artifacts/model", fetched.GetProperty("model_version").GetProperty("source").GetString());
        var uri = await _client.GetAsync(Api + $"model-versions/get-download-uri?name={name}&version=1").OkAsync();
        Assert.Equal("mlflow-artifacts:/0/abc/artifacts/model", uri.GetProperty("artifact_uri").GetString());
        var got = (await _client.GetAsync(Api + $"registered-models/get?name={name}").OkAsync()).GetProperty("registered_model");
        Assert.Equal("1", got.GetProperty("latest_versions")[0].GetProperty("version").GetString());
    }

    [Fact]
    public async Task Aliases_set_get_delete_and_their_history_over_http()
    {
        var name = await NewModelWithVersionsAsync(2);
        await _client.PostJsonAsync(Api + "registered-models/alias", new { name, alias = "champion", version = "1" }).OkAsync();
        await _client.PostJsonAsync(Api + "registered-models/alias", new { name, alias = "champion", version = 2 }).OkAsync();
        var byAlias = await _client.GetAsync(Api + $"registered-models/alias?name={name}&alias=champion").OkAsync();
        Assert.Equal("2", byAlias.GetProperty("model_version").GetProperty("version").GetString());
        Assert.Equal("champion", byAlias.GetProperty("model_version").GetProperty("aliases")[0].GetString());
        var model = (await _client.GetAsync(Api + $"registered-models/get?name={name}").OkAsync()).GetProperty("registered_model");
        Assert.Equal("2", model.GetProperty("aliases")[0].GetProperty("version").GetString());

        await SendJsonAsync(HttpMethod.Delete, Api + "registered-models/alias", new { name, alias = "champion" }).OkAsync();
        await _client.GetAsync(Api + $"registered-models/alias?name={name}&alias=champion")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Registered model alias champion not found.");

        var history = (await _client.GetAsync($"/api/2.0/keel/registered-models/alias-history?name={name}").OkAsync()).GetProperty("history");
        Assert.Equal(3, history.GetArrayLength());
        Assert.Equal("champion", history[1].GetProperty("alias").GetString());
        Assert.Equal("1", history[1].GetProperty("old_version").GetString());
        Assert.Equal("2", history[1].GetProperty("new_version").GetString());
        Assert.False(history[2].TryGetProperty("new_version", out _));
        await _client.GetAsync("/api/2.0/keel/registered-models/alias-history?name=nope-" + Guid.NewGuid())
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "not found");
    }

    [Fact]
    public async Task Bad_registry_input_is_a_clear_400_or_404_and_changes_nothing()
    {
        var name = await NewModelWithVersionsAsync(1);
        await _client.PostJsonAsync(Api + "registered-models/alias", new { name, alias = "v3", version = "1" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "v3", "reserved");
        await _client.PostJsonAsync(Api + "registered-models/alias", new { name, alias = "latest", version = "1" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "latest");
        await _client.PostJsonAsync(Api + "registered-models/alias", new { name, alias = "prod", version = "5" })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "version=5");
        await _client.PostJsonAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "Gold" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Gold", "None, Staging, Production, Archived");
        await _client.PostJsonAsync(Api + "model-versions/transition-stage", new { name, version = "one", stage = "Staging" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "'version' must be an integer");
        await _client.PostJsonAsync(Api + "registered-models/create", new { name })
            .ErrorAsync(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS", name);
        await _client.PostJsonAsync(Api + "registered-models/create", new { description = "no name" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "name");
        await _client.PostJsonAsync(Api + "model-versions/create", new { name, source = "s3://b/../../etc" })
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid model version source");
        await _client.PostJsonAsync(Api + "model-versions/create", new { name, source = "models:/" + name + "/9" })
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "version=9");
        await _client.GetAsync(Api + "registered-models/search?max_results=1001")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "max_results");
        await _client.GetAsync(Api + "model-versions/search?filter=" + Uri.EscapeDataString("run_id NOT IN ('a')"))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var model = (await _client.GetAsync(Api + $"registered-models/get?name={name}").OkAsync()).GetProperty("registered_model");
        Assert.False(model.TryGetProperty("aliases", out _));
        Assert.Equal("None", model.GetProperty("latest_versions")[0].GetProperty("current_stage").GetString());
        var versions = await _client.GetAsync(Api + $"model-versions/search?filter={Uri.EscapeDataString($"name='{name}'")}").OkAsync();
        Assert.Equal(1, versions.GetProperty("model_versions").GetArrayLength());
    }

    [Fact]
    public async Task Search_latest_versions_transition_and_deletes_over_http()
    {
        var name = await NewModelWithVersionsAsync(3);
        // The Java client sends archive_existing_versions as a string on some paths; MLflow's decoding accepts it.
        await _client.PostJsonAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "production", archive_existing_versions = "false" }).OkAsync();
        var moved = await _client.PostJsonAsync(Api + "model-versions/transition-stage", new { name, version = "2", stage = "Production", archive_existing_versions = true }).OkAsync();
        Assert.Equal("Production", moved.GetProperty("model_version").GetProperty("current_stage").GetString());

        var latest = await _client.PostJsonAsync(Api + "registered-models/get-latest-versions", new { name, stages = new[] { "Production" } }).OkAsync();
        Assert.Equal("2", latest.GetProperty("model_versions")[0].GetProperty("version").GetString());
        var latestGet = await _client.GetAsync(Api + $"registered-models/get-latest-versions?name={name}&stages=Archived").OkAsync();
        Assert.Equal("1", latestGet.GetProperty("model_versions")[0].GetProperty("version").GetString());

        var filter = Uri.EscapeDataString($"name = '{name}'");
        var page = await _client.GetAsync(Api + $"model-versions/search?filter={filter}&max_results=2&order_by=version_number+ASC").OkAsync();
        Assert.Equal(["1", "2"], page.GetProperty("model_versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        var token = Uri.EscapeDataString(page.GetProperty("next_page_token").GetString()!);
        var next = await _client.GetAsync(Api + $"model-versions/search?filter={filter}&max_results=2&order_by=version_number+ASC&page_token={token}").OkAsync();
        Assert.Equal(["3"], next.GetProperty("model_versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        Assert.False(next.TryGetProperty("next_page_token", out _));

        var models = await _client.GetAsync(Api + $"registered-models/search?filter={Uri.EscapeDataString($"name LIKE '{name}%'")}").OkAsync();
        Assert.Equal(name, models.GetProperty("registered_models")[0].GetProperty("name").GetString());

        await SendJsonAsync(HttpMethod.Patch, Api + "model-versions/update", new { name, version = "3", description = "best" }).OkAsync();
        await SendJsonAsync(HttpMethod.Delete, Api + "model-versions/delete", new { name, version = "3" }).OkAsync();
        await _client.GetAsync(Api + $"model-versions/get?name={name}&version=3").ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var renamed = name + "-renamed";
        await _client.PostJsonAsync(Api + "registered-models/rename", new { name, new_name = renamed }).OkAsync();
        await SendJsonAsync(HttpMethod.Delete, Api + "registered-models/delete", new { name = renamed }).OkAsync();
        await _client.GetAsync(Api + $"registered-models/get?name={renamed}").ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await _client.PostJsonAsync(Api + "registered-models/delete", new { name = renamed }).ErrorAsync(HttpStatusCode.MethodNotAllowed, "BAD_REQUEST");
    }
}
