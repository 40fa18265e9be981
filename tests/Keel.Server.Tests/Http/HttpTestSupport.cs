using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Http;

/// <summary>
/// One real Keel server shared by the tests of a class. Tests isolate themselves with unique
/// experiment names and fresh runs, so nothing needs resetting between them.
/// </summary>
public sealed class HttpServerFixture : IAsyncLifetime
{
    private KeelServer? _server;
    private HttpClient? _client;

    public KeelServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Client => _client ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        _server = await KeelServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Raw MLflow REST calls and the assertions the HTTP tests share.</summary>
internal static class Mlflow
{
    public const string Api = "/api/2.0/mlflow/";

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The folder the proxy stores into: `--artifacts-destination`, else `DataDir/artifacts`.</summary>
    public static string ArtifactRoot(KeelServer server) =>
        Path.GetFullPath(server.Options.ArtifactsDestination ?? Path.Combine(server.DataDir, "artifacts"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostJsonAsync(path, JsonSerializer.Serialize(body));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a 200 with a JSON object body and returns it.</summary>
    public static async Task<JsonElement> OkAsync(this Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts MLflow's error answer: the status, the error_code and words the message must contain.</summary>
    public static async Task<string> ErrorAsync(this Task<HttpResponseMessage> call, HttpStatusCode status, string errorCode, params string[] messageContains)
    {
        using var response = await call;
        return await AssertErrorAsync(response, status, errorCode, messageContains);
    }

    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode, params string[] messageContains)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return AssertErrorBody(text, errorCode, messageContains);
    }

    public static string AssertErrorBody(string text, string errorCode, params string[] messageContains)
    {
        using var document = JsonDocument.Parse(text);
        Assert.Equal(errorCode, document.RootElement.GetProperty("error_code").GetString());
        var message = document.RootElement.GetProperty("message").GetString() ?? string.Empty;
        foreach (var part in messageContains)
        {
            Assert.Contains(part, message, StringComparison.Ordinal);
        }

        return message;
    }

    public static async Task<string> CreateExperimentAsync(this HttpClient client, string? name = null)
    {
        var body = await client.PostJsonAsync(Api + "experiments/create", new { name = name ?? UniqueName("http") }).OkAsync();
        return body.GetProperty("experiment_id").GetString()!;
    }

    public static async Task<string> CreateRunAsync(this HttpClient client, string? experimentId = null)
    {
        experimentId ??= await client.CreateExperimentAsync();
        var body = await client.PostJsonAsync(Api + "runs/create", new { experiment_id = experimentId, start_time = 1_700_000_000_000L }).OkAsync();
        return body.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    }

    public static Task<JsonElement> GetRunAsync(this HttpClient client, string runId) =>
        client.GetAsync(Api + "runs/get?run_id=" + runId).OkAsync();

    /// <summary>`run.data.&lt;field&gt;` as key → value text; the `mlflow.*` tags the server adds are left out.</summary>
    public static async Task<Dictionary<string, string>> RunDataAsync(this HttpClient client, string runId, string field)
    {
        var run = await client.GetRunAsync(runId);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (run.GetProperty("run").GetProperty("data").TryGetProperty(field, out var items))
        {
            foreach (var item in items.EnumerateArray())
            {
                var key = item.GetProperty("key").GetString()!;
                if (!key.StartsWith("mlflow.", StringComparison.Ordinal))
                {
                    result[key] = item.GetProperty("value").ToString();
                }
            }
        }

        return result;
    }

    /// <summary>Asserts the run holds no metrics, params or user tags: nothing of a failed call was written.</summary>
    public static async Task AssertRunIsEmptyAsync(this HttpClient client, string runId)
    {
        Assert.Empty(await client.RunDataAsync(runId, "metrics"));
        Assert.Empty(await client.RunDataAsync(runId, "params"));
        Assert.Empty(await client.RunDataAsync(runId, "tags"));
    }
}

/// <summary>
/// An HTTP/1.0 exchange over a plain socket, for request targets HttpClient would rewrite
/// (literal `/../`, backslashes, `#`). HTTP/1.0 keeps the answer free of chunked encoding.
/// </summary>
internal static class RawHttp
{
    public sealed record Answer(int Status, string Headers, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }

    public static async Task<Answer> SendAsync(Uri baseUri, string method, string target, byte[]? body = null, string? contentType = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.0\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {baseUri.Authority}\r\n");
        if (body is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
            if (contentType is not null)
            {
                head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
            }
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()));
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        using var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received);
        }
        catch (IOException)
        {
            // The server may reset the connection right after a rejection; what arrived is the answer.
        }

        var bytes = received.ToArray();
        var split = IndexOf(bytes, "\r\n\r\n"u8);
        Assert.True(split > 0, $"no HTTP answer to {method} {target}: '{Encoding.Latin1.GetString(bytes)}'");
        var headers = Encoding.Latin1.GetString(bytes, 0, split);
        var status = int.Parse(headers.Split(' ')[1], CultureInfo.InvariantCulture);
        return new Answer(status, headers, bytes[(split + 4)..]);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}

/// <summary>A request body generated on the fly from a seed, so a large upload never sits in memory.</summary>
internal sealed class GeneratedContent(long length, int seed) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await WriteAsync(stream, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        WriteAsync(stream, cancellationToken);

    protected override bool TryComputeLength(out long length1)
    {
        length1 = length;
        return true;
    }

    private async Task WriteAsync(Stream stream, CancellationToken ct)
    {
        foreach (var chunk in Chunks(length, seed))
        {
            await stream.WriteAsync(chunk, ct);
        }
    }

    /// <summary>The same bytes the content sends, chunk by chunk (for hashing on the test side).</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Chunks(long length, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < length; sent += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, length - sent);
            random.NextBytes(buffer.AsSpan(0, count));
            yield return buffer.AsMemory(0, count);
        }
    }

    public static MediaTypeHeaderValue OctetStream => new("application/octet-stream");
}
