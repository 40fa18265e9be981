using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Keel.Client;
using Keel.Client.Models;
using Keel.Core.Deployments;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Server.Tests.Deployments;

/// <summary>A real `keel server` (SQLite, loopback port) with registered iris and diabetes versions to deploy.</summary>
internal sealed class DeploymentFixture : IAsyncDisposable
{
    private DeploymentFixture(KeelServer server)
    {
        Server = server;
        Client = new KeelClient(server.BaseUri);
        Http = server.CreateClient();
    }

    public KeelServer Server { get; }

    public KeelClient Client { get; }

    public HttpClient Http { get; }

    public static async Task<DeploymentFixture> StartAsync(int irisVersions = 2, Action<Keel.Server.Hosting.KeelOptions>? configure = null)
    {
        var fixture = new DeploymentFixture(await KeelServer.StartAsync(o =>
        {
            o.DeploymentRefreshSeconds = 0.1;
            configure?.Invoke(o);
        }));
        await fixture.RegisterAsync("iris", "iris_forest.onnx", irisVersions);
        return fixture;
    }

    /// <summary>Logs the fixture model <paramref name="count"/> times, each registered as the next version of <paramref name="name"/>.</summary>
    public async Task RegisterAsync(string name, string onnx, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await using var run = await Client.StartRunAsync("deploy-" + name);
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture(onnx), "model", new LogModelOptions { RegisteredModelName = name });
        }
    }

    public static DeploymentSpec Spec(params RouteSpec[] routes) =>
        new(routes, null, null, InferenceLogSpec.Default, null);

    private static string? _irisBody;

    /// <summary>A two-row iris `/invocations` body.</summary>
    public static async Task<string> IrisBodyAsync()
    {
        if (_irisBody is null)
        {
            var table = (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"))).DropColumn("species");
            var rows = Enumerable.Range(0, 2).Select(r => table.Columns.ToDictionary(c => c.Name, c => c.GetDouble(r))).ToArray();
            _irisBody = JsonSerializer.Serialize(new { dataframe_records = rows });
        }

        return _irisBody;
    }

    /// <summary>Scores once; returns the status and the version and route headers.</summary>
    public async Task<(int Status, string? Version, string? Route, string Body)> InvokeAsync(
        string deployment, string? body = null, string? stickyHeader = null, string? key = null, HttpClient? http = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/deployments/{deployment}/invocations")
        {
            Content = new StringContent(body ?? await IrisBodyAsync(), Encoding.UTF8, "application/json"),
        };
        if (stickyHeader is not null)
        {
            request.Headers.Add(stickyHeader, key);
        }

        using var response = await (http ?? Http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, Header(response, "X-Keel-Model-Version"), Header(response, "X-Keel-Route"), text);
    }

    public async Task<JsonElement> ApiAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, "/api/2.0/keel/" + path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json;
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the time runs out.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, double seconds = 20)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed.TotalSeconds < seconds)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Client.Dispose();
        await Server.DisposeAsync();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
