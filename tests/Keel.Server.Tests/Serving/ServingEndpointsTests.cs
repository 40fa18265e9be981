using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Keel.Client;
using Keel.Client.Models;
using Keel.Server.Hosting;
using Keel.Server.Serving;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;
using Keel.Testing;
using Microsoft.AspNetCore.Builder;

namespace Keel.Server.Tests.Serving;

/// <summary>A serving process (MLflow scoring protocol, OIP v2) over the shared ONNX fixtures, on a real loopback port.</summary>
public sealed partial class ServingEndpointsTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private WebApplication _iris = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var model = Package("iris_forest.onnx", "iris");
        var predictor = ModelLoader.Load(model);
        _iris = ServingApp.Build(new ServeOptions { Port = 0 }, new ServedModel("iris", "3", model, predictor, predictor));
        await _iris.StartAsync();
        _client = new HttpClient { BaseAddress = KeelApp.BoundAddress(_iris) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _iris.DisposeAsync();
        _folder.Dispose();
    }

    private string Package(string onnx, string name)
    {
        var folder = _folder.Combine(name);
        new ModelPackager(TimeProvider.System).SaveOnnx(RepositoryFiles.SharedFixture(onnx), folder);
        return folder;
    }

    private static async Task<string[]> ExpectedIrisLabelsAsync(int rows) =>
        [.. (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris_forest_expected.csv"))).GetStrings("label").Take(rows).Select(s => s!)];

    private static async Task<double[][]> IrisRowsAsync(int rows)
    {
        var table = (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"))).DropColumn("species");
        return [.. Enumerable.Range(0, rows).Select(r => table.Columns.Select(c => c.GetDouble(r)).ToArray())];
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body, string contentType = "application/json", string? requestId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (requestId is not null)
        {
            request.Headers.Add(ServingEndpoints.RequestIdHeader, requestId);
        }

        return _client.SendAsync(request);
    }

    [Fact]
    public async Task Ping_health_and_version_answer_like_mlflows_scoring_server()
    {
        using var ping = await _client.GetAsync("/ping");
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("\n", await ping.Content.ReadAsStringAsync());
        Assert.Equal("application/json", ping.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health")).StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(await _client.GetStringAsync("/version")));
    }

    [Fact]
    public async Task Invocations_with_dataframe_split_predict_the_expected_iris_labels_and_stamp_the_request()
    {
        var rows = await IrisRowsAsync(3);
        var body = JsonSerializer.Serialize(new { dataframe_split = new { columns = new[] { "sepal_length", "sepal_width", "petal_length", "petal_width" }, data = rows } });
        using var response = await PostAsync("/invocations", body, requestId: "req-42");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("req-42", response.Headers.GetValues(ServingEndpoints.RequestIdHeader).Single());
        Assert.Equal("3", response.Headers.GetValues(ServingEndpoints.ModelVersionHeader).Single());
        using var json = JsonDocument.Parse(text);
        var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(3, predictions.Count);
        Assert.Equal(await ExpectedIrisLabelsAsync(3), predictions.Select(p => p.GetProperty("label").GetInt64().ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(3, predictions[0].GetProperty("probabilities").GetArrayLength());

        using var fresh = await PostAsync("/invocations", body);
        Assert.False(string.IsNullOrEmpty(fresh.Headers.GetValues(ServingEndpoints.RequestIdHeader).Single()));
    }

    [Fact]
    public async Task Invocations_take_instances_inputs_and_csv_too()
    {
        var rows = await IrisRowsAsync(2);
        var expected = await ExpectedIrisLabelsAsync(2);
        foreach (var body in new[] { JsonSerializer.Serialize(new { instances = rows }), JsonSerializer.Serialize(new { inputs = rows }) })
        {
            using var response = await PostAsync("/invocations", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            using var json = JsonDocument.Parse(text);
            Assert.Equal(expected, json.RootElement.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetInt64().ToString(CultureInfo.InvariantCulture)));
        }

        var csv = "sepal_length,sepal_width,petal_length,petal_width\n" + string.Join('\n', rows.Select(r => string.Join(',', r.Select(v => v.ToString(CultureInfo.InvariantCulture))))) + "\n";
        using var csvResponse = await PostAsync("/invocations", csv, "text/csv");
        var csvText = await csvResponse.Content.ReadAsStringAsync();
        Assert.True(csvResponse.StatusCode == HttpStatusCode.OK, csvText);
    }

    [Theory]
    [InlineData("text/plain", "application/json")]
    [InlineData("application/json; format=pandas-split", "format")]
    [InlineData("application/json; charset=latin-1", "UTF-8")]
    public async Task Unsupported_content_types_are_415_with_a_plain_text_reason(string contentType, string mentions)
    {
        using var response = await PostAsync("/invocations", "{}", contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"data\": [[1, 2, 3, 4]]}", "dataframe_split")]
    [InlineData("[[1, 2, 3, 4]]", "dataframe_split")]
    [InlineData("{\"instances\": [[1, 2, 3]]}", "4")]
    [InlineData("{\"dataframe_split\": {\"columns\": [\"a\"], \"data\": [[1]]", "")]
    public async Task Malformed_scoring_bodies_are_400_with_mlflows_error_body(string body, string mentions)
    {
        using var response = await PostAsync("/invocations", body, requestId: "bad-1");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // The error keeps the request's stamp, as a success does.
        Assert.Equal("bad-1", response.Headers.GetValues(ServingEndpoints.RequestIdHeader).Single());
        Assert.Equal("3", response.Headers.GetValues(ServingEndpoints.ModelVersionHeader).Single());
        using var json = JsonDocument.Parse(text);
        Assert.True(json.RootElement.TryGetProperty("error_code", out _), text);
        Assert.Contains(mentions, json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_inference_v2_infers_iris_and_describes_the_model()
    {
        var rows = await IrisRowsAsync(2);
        var body = JsonSerializer.Serialize(new
        {
            id = "oip-1",
            inputs = new[] { new { name = "input", shape = new[] { 2, 4 }, datatype = "FP32", data = rows.SelectMany(r => r).ToArray() } },
        });
        foreach (var path in new[] { "/v2/models/iris/infer", "/v2/models/iris/versions/3/infer" })
        {
            using var response = await PostAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            using var json = JsonDocument.Parse(text);
            Assert.Equal("iris", json.RootElement.GetProperty("model_name").GetString());
            Assert.Equal("oip-1", json.RootElement.GetProperty("id").GetString());
            var label = json.RootElement.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "label");
            Assert.Equal("INT64", label.GetProperty("datatype").GetString());
            Assert.Equal(await ExpectedIrisLabelsAsync(2), label.GetProperty("data").EnumerateArray().Select(v => v.GetInt64().ToString(CultureInfo.InvariantCulture)));
        }

        using var metadata = JsonDocument.Parse(await _client.GetStringAsync("/v2/models/iris"));
        Assert.Equal("input", metadata.RootElement.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal("FP32", metadata.RootElement.GetProperty("inputs")[0].GetProperty("datatype").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/v2/models/iris/ready")).StatusCode);

        using var unknown = await _client.GetAsync("/v2/models/fraud");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Contains("fraud", error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        using var badShape = await PostAsync("/v2/models/iris/infer",
            JsonSerializer.Serialize(new { inputs = new[] { new { name = "input", shape = new[] { 1, 3 }, datatype = "FP32", data = new[] { 1.0, 2.0, 3.0 } } } }));
        Assert.Equal(HttpStatusCode.BadRequest, badShape.StatusCode);
        var badShapeBody = await badShape.Content.ReadAsStringAsync();
        Assert.Contains("input", JsonDocument.Parse(badShapeBody).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        // Readable as it comes (curl, logs): the message's quotes are not escaped as \u0027.
        Assert.Contains("'input'", badShapeBody, StringComparison.Ordinal);

        // Infer writes its own errors (no endpoint filter): the same {"error"} body for an unknown model or version.
        var oneRow = JsonSerializer.Serialize(new { inputs = new[] { new { name = "input", shape = new[] { 1, 4 }, datatype = "FP32", data = new[] { 5.1, 3.5, 1.4, 0.2 } } } });
        foreach (var (path, named) in new[] { ("/v2/models/fraud/infer", "fraud"), ("/v2/models/iris/versions/9/infer", "9") })
        {
            using var missing = await PostAsync(path, oneRow);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.StartsWith("application/json", missing.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            Assert.Contains(named, JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_model_with_one_named_input_per_column_takes_dataframe_records()
    {
        var model = Package("diabetes_linear.onnx", "diabetes");
        var predictor = ModelLoader.Load(model);
        await using var app = ServingApp.Build(new ServeOptions { Port = 0 }, new ServedModel("diabetes", "1", model, predictor, predictor));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = KeelApp.BoundAddress(app) };
        var data = await TableReader.ReadAsync(RepositoryFiles.SharedFixture("diabetes.csv"));
        var records = Enumerable.Range(0, 2).Select(r => data.ColumnNames.Where(c => c != "target").ToDictionary(c => c, c => data[c].GetDouble(r))).ToList();
        using var response = await client.PostAsync("/invocations",
            new StringContent(JsonSerializer.Serialize(new { dataframe_records = records }), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var expected = (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("diabetes_linear_expected.csv"))).GetDoubles("prediction");
        using var json = JsonDocument.Parse(text);
        var predicted = json.RootElement.GetProperty("predictions").EnumerateArray().Select(Flatten).ToList();
        Assert.Equal(expected[0], predicted[0], 3);
        Assert.Equal(expected[1], predicted[1], 3);

        static double Flatten(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Number => e.GetDouble(),
            JsonValueKind.Array => Flatten(e[0]),
            _ => Flatten(e.EnumerateObject().First().Value),
        };
    }

    [Fact]
    public async Task Keel_serve_loads_a_registered_model_by_alias_through_the_tracking_server()
    {
        await using var server = await KeelServer.StartAsync();
        using var client = new KeelClient(server.BaseUri);
        await using (var run = await client.StartRunAsync("serve"))
        {
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = "iris-served" });
        }

        await client.SetRegisteredModelAliasAsync("iris-served", "champion", "1");
        var uri = "models:/iris-served@champion";
        var cache = _folder.Combine("cache");
        var source = new Keel.Cli.Commands.ClientModelSource(server.BaseUri.ToString(), cache);
        var served = await Keel.Cli.Commands.ServeCommand.LoadModelAsync(uri, source, CancellationToken.None);
        Assert.Equal(("iris-served", "1"), (served.Name, served.Current.Routes[0].Model.Version));
        var options = new ServeOptions
        {
            Port = 0,
            RefreshInterval = TimeSpan.FromMilliseconds(100),
            Refresh = (current, ct) => current.RefreshAsync(source, ct),
        };
        await using var app = ServingApp.Build(options, served);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = KeelApp.BoundAddress(app) };
        var body = JsonSerializer.Serialize(new { inputs = await IrisRowsAsync(1) });
        async Task<string> VersionAsync()
        {
            using var response = await http.PostAsync("/invocations", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues(ServingEndpoints.ModelVersionHeader).Single();
        }

        Assert.Equal("1", await VersionAsync());

        // Moving the alias in the registry moves the traffic, with no restart and no failed request.
        await using (var run = await client.StartRunAsync("serve"))
        {
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = "iris-served" });
        }

        await client.SetRegisteredModelAliasAsync("iris-served", "champion", "2");
        var waited = Stopwatch.StartNew();
        var seen = "1";
        while (seen == "1" && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            seen = await VersionAsync();
        }

        Assert.Equal("2", seen);
        Assert.True(Keel.Cli.Commands.ServeCommand.Follows(uri));
        Assert.False(Keel.Cli.Commands.ServeCommand.Follows("models:/iris-served/1"));
    }

    [Fact]
    public async Task Keel_serve_as_a_process_serves_a_local_model_folder_without_a_tracking_server()
    {
        var model = Package("iris_forest.onnx", "iris-process");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "keel.dll"), "serve", "--model", model, "--port", "0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Uri? address = null;
            while (address is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    address = new Uri(match.Groups[1].Value);
                }
            }

            Assert.NotNull(address);
            using var client = new HttpClient { BaseAddress = address };
            var rows = await IrisRowsAsync(1);
            using var response = await client.PostAsync("/invocations",
                new StringContent(JsonSerializer.Serialize(new { inputs = rows }), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("local", response.Headers.GetValues(ServingEndpoints.ModelVersionHeader).Single());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [GeneratedRegex(@" on (http://[^ ]+)$")]
    private static partial Regex ListeningLine();
}
