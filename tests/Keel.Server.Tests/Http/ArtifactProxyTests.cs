using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Http;

/// <summary>
/// The artifact proxy `/api/2.0/mlflow-artifacts` (reference §2.7) and the tracking-side listing
/// `/api/2.0/mlflow/artifacts/list` (§2.5), spoken to as MLflow clients speak to them.
/// </summary>
public sealed class ArtifactProxyTests(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private const string Proxy = "/api/2.0/mlflow-artifacts/artifacts";
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task A_50_MB_streamed_upload_passes_max_request_mb_and_downloads_with_the_same_sha256()
    {
        const long Length = 50L * 1024 * 1024;
        const int Seed = 50;

        // A 1 MiB API limit: the artifact PUT must not be held to it.
        await using var server = await KeelServer.StartAsync(o => o.MaxRequestMb = 1);
        using var client = server.CreateClient();
        var path = $"big/{Guid.NewGuid():N}/weights.bin";

        using (var content = new GeneratedContent(Length, Seed))
        {
            content.Headers.ContentType = GeneratedContent.OctetStream;
            await client.PutAsync($"{Proxy}/{path}", content).OkAsync();
        }

        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var chunk in GeneratedContent.Chunks(Length, Seed))
        {
            expected.AppendData(chunk.Span);
        }

        Assert.Equal(Length, new FileInfo(Path.Combine(Mlflow.ArtifactRoot(server), path)).Length);

        using var response = await client.GetAsync($"{Proxy}/{path}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment; filename=weights.bin", response.Content.Headers.ContentDisposition?.ToString());
        Assert.Contains("nosniff", response.Headers.GetValues("X-Content-Type-Options"));
        await using var body = await response.Content.ReadAsStreamAsync();
        var actual = await SHA256.HashDataAsync(body);
        Assert.Equal(expected.GetHashAndReset(), actual);

        // The same server still holds API bodies to the limit.
        var tooBig = JsonSerializer.Serialize(new { name = new string('x', 2 * 1024 * 1024) });
        using var request = new HttpRequestMessage(HttpMethod.Post, Mlflow.Api + "experiments/create")
        {
            Content = new StringContent(tooBig, System.Text.Encoding.UTF8, "application/json"),
        };

        // Kestrel refuses before reading the body; 100-continue lets HttpClient see the answer (BadInputTests).
        request.Headers.ExpectContinue = true;
        using var refused = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
    }

    [Fact]
    public async Task A_proxy_listing_returns_basenames_with_file_size_and_is_dir()
    {
        var prefix = $"list/{Guid.NewGuid():N}";
        await PutAsync($"{prefix}/a.txt", "abc");
        await PutAsync($"{prefix}/dir/b.txt", "hello");
        await PutAsync($"{prefix}/dir/deeper/c.txt", "x");

        var listing = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix)}").OkAsync();

        var files = listing.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["a.txt", "dir"], files.Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        var file = files.Single(f => f.GetProperty("path").GetString() == "a.txt");
        Assert.False(file.GetProperty("is_dir").GetBoolean());
        Assert.Equal(3, file.GetProperty("file_size").GetInt64());
        var dir = files.Single(f => f.GetProperty("path").GetString() == "dir");
        Assert.True(dir.GetProperty("is_dir").GetBoolean());
        Assert.False(dir.TryGetProperty("file_size", out _), "directories have no file_size");

        var nested = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix + "/dir/")}").OkAsync();
        Assert.Equal(["b.txt", "deeper"], nested.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal));

        var root = await _client.GetAsync(Proxy).OkAsync();
        Assert.Contains(root.GetProperty("files").EnumerateArray(), f => f.GetProperty("path").GetString() == "list" && f.GetProperty("is_dir").GetBoolean());
    }

    [Fact]
    public async Task A_missing_folder_and_a_file_path_list_as_an_empty_object()
    {
        var prefix = $"missing/{Guid.NewGuid():N}";
        var missing = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix + "/nothing-here")}").OkAsync();
        Assert.Empty(missing.EnumerateObject());

        // The Python client lists a path first and takes `{}` to mean "a file": download it.
        await PutAsync($"{prefix}/file.txt", "x");
        var file = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix + "/file.txt")}").OkAsync();
        Assert.Empty(file.EnumerateObject());
    }

    [Fact]
    public async Task A_missing_file_download_is_a_404_resource_does_not_exist()
    {
        await _client.GetAsync($"{Proxy}/nowhere/{Guid.NewGuid():N}/model.pkl")
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "model.pkl");
    }

    [Fact]
    public async Task A_download_returns_the_bytes_with_mlflows_headers()
    {
        var path = $"headers/{Guid.NewGuid():N}/config.json";
        await PutAsync(path, "{\"layers\": 3}");

        using var response = await _client.GetAsync($"{Proxy}/{path}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"layers\": 3}", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment; filename=config.json", response.Content.Headers.ContentDisposition?.ToString());
        Assert.Contains("nosniff", response.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task A_put_overwrites_an_existing_file()
    {
        var path = $"overwrite/{Guid.NewGuid():N}/f.txt";
        await PutAsync(path, "first version");
        await PutAsync(path, "second");

        Assert.Equal("second", await _client.GetStringAsync($"{Proxy}/{path}"));
    }

    [Fact]
    public async Task Delete_removes_a_whole_folder()
    {
        var prefix = $"delete/{Guid.NewGuid():N}";
        await PutAsync($"{prefix}/keep.txt", "keep");
        await PutAsync($"{prefix}/model/MLmodel", "flavors: {}");
        await PutAsync($"{prefix}/model/sub/weights.bin", "0101");

        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"{Proxy}/{prefix}/model"))
        {
            await _client.SendAsync(request).OkAsync();
        }

        await _client.GetAsync($"{Proxy}/{prefix}/model/MLmodel").ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var gone = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix + "/model")}").OkAsync();
        Assert.Empty(gone.EnumerateObject());
        var left = await _client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(prefix)}").OkAsync();
        Assert.Equal(["keep.txt"], left.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.False(Directory.Exists(Path.Combine(Mlflow.ArtifactRoot(fixture.Server), prefix, "model")));
    }

    [Fact]
    public async Task The_run_artifact_listing_returns_run_relative_paths_and_the_root_uri()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var runId = await _client.CreateRunAsync(experimentId);
        var artifactUri = (await _client.GetRunAsync(runId)).GetProperty("run").GetProperty("info").GetProperty("artifact_uri").GetString()!;
        Assert.Equal($"mlflow-artifacts:/{experimentId}/{runId}/artifacts", artifactUri);
        var runRoot = $"{experimentId}/{runId}/artifacts";
        await PutAsync($"{runRoot}/top.txt", "12345");
        await PutAsync($"{runRoot}/model/MLmodel", "abc");
        await PutAsync($"{runRoot}/model/sub/x.bin", "x");

        var top = await _client.GetAsync($"{Mlflow.Api}artifacts/list?run_id={runId}").OkAsync();
        Assert.Equal(artifactUri, top.GetProperty("root_uri").GetString());
        var topFiles = top.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["model", "top.txt"], topFiles.Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(5, topFiles.Single(f => f.GetProperty("path").GetString() == "top.txt").GetProperty("file_size").GetInt64());

        var model = await _client.GetAsync($"{Mlflow.Api}artifacts/list?run_uuid={runId}&path=model").OkAsync();
        var modelFiles = model.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["model/MLmodel", "model/sub"], modelFiles.Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        Assert.True(modelFiles.Single(f => f.GetProperty("path").GetString() == "model/sub").GetProperty("is_dir").GetBoolean());
        Assert.Equal(3, modelFiles.Single(f => f.GetProperty("path").GetString() == "model/MLmodel").GetProperty("file_size").GetInt64());

        var empty = await _client.GetAsync($"{Mlflow.Api}artifacts/list?run_id={runId}&path=nothing").OkAsync();
        Assert.Equal(artifactUri, empty.GetProperty("root_uri").GetString());
        Assert.False(empty.TryGetProperty("files", out _));
    }

    [Fact]
    public async Task The_run_artifact_listing_of_an_unknown_run_is_a_404()
    {
        var unknown = Guid.NewGuid().ToString("N");
        await _client.GetAsync($"{Mlflow.Api}artifacts/list?run_id={unknown}")
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", unknown);
    }

    [Fact]
    public async Task The_ui_download_route_streams_a_run_file_as_an_attachment_and_names_what_is_wrong()
    {
        var experimentId = await _client.CreateExperimentAsync();
        var runId = await _client.CreateRunAsync(experimentId);
        await PutAsync($"{experimentId}/{runId}/artifacts/eval/metrics.json", "{\"auc\": 0.9}");

        foreach (var id in new[] { "run_uuid", "run_id" })
        {
            using var response = await _client.GetAsync($"/get-artifact?path=eval/metrics.json&{id}={runId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment; filename=metrics.json", response.Content.Headers.ContentDisposition?.ToString());
            Assert.Contains("nosniff", response.Headers.GetValues("X-Content-Type-Options"));
            Assert.Equal("{\"auc\": 0.9}", await response.Content.ReadAsStringAsync());
        }

        await _client.GetAsync($"/get-artifact?path=eval/missing.json&run_uuid={runId}")
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "eval/missing.json");
        await _client.GetAsync($"/get-artifact?path=../../other/secret.txt&run_uuid={runId}")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "path");
        await _client.GetAsync("/get-artifact?path=eval/metrics.json")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "run_uuid");
        await _client.GetAsync($"/get-artifact?run_uuid={runId}")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "path");
    }

    [Fact]
    public async Task An_artifact_put_needs_no_json_content_type()
    {
        var path = $"content-type/{Guid.NewGuid():N}/notes.txt";
        using var content = new StringContent("plain text");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        await _client.PutAsync($"{Proxy}/{path}", content).OkAsync();
        Assert.Equal("plain text", await _client.GetStringAsync($"{Proxy}/{path}"));
    }

    private Task PutAsync(string path, string text) =>
        _client.PutAsync($"{Proxy}/{path}", new StringContent(text)).OkAsync();
}
