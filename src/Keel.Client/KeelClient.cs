using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keel.Client.Internal;

namespace Keel.Client;

/// <summary>
/// A client of Keel's tracking API (MLflow's REST protocol): experiments, runs, metrics, artifacts.
/// Thread-safe; create one per server and reuse it.
/// </summary>
/// <remarks>
/// Every failed call throws <see cref="KeelApiException"/> carrying MLflow's error code; a server
/// that cannot be reached throws <see cref="HttpRequestException"/>; an API call that exceeds
/// <see cref="KeelClientOptions.RequestTimeout"/> throws <see cref="TimeoutException"/>.
/// </remarks>
public sealed partial class KeelClient : IDisposable
{
    /// <summary>The tracking URI used when neither environment variable is set.</summary>
    public const string DefaultTrackingUri = "http://127.0.0.1:5000";

    private const string ApiPrefix = "api/2.0/mlflow/";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly KeelClientOptions _options;

    /// <summary>Creates a client for the server at <paramref name="trackingUri"/>, e.g. <c>http://127.0.0.1:5000</c>.</summary>
    /// <param name="trackingUri">The server's base URI (http or https); a path prefix is kept.</param>
    public KeelClient(Uri trackingUri)
        : this(trackingUri, new KeelClientOptions())
    {
    }

    /// <summary>Creates a client for the server at <paramref name="trackingUri"/> with the given settings.</summary>
    /// <param name="trackingUri">The server's base URI (http or https); a path prefix is kept.</param>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    public KeelClient(Uri trackingUri, KeelClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(trackingUri);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        TrackingUri = NormalizeBase(trackingUri);

        // Artifact transfers may take longer than any fixed timeout; API calls get
        // RequestTimeout through a linked token instead.
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _ownsHttp = true;
    }

    /// <summary>
    /// Creates a client that sends through <paramref name="httpClient"/>, whose
    /// <see cref="HttpClient.BaseAddress"/> must be the tracking URI. The client is not disposed
    /// with this object. Its <see cref="HttpClient.Timeout"/> also bounds artifact transfers: set
    /// it to <see cref="Timeout.InfiniteTimeSpan"/> for large files.
    /// </summary>
    /// <param name="httpClient">The HTTP client (authentication headers, handlers and so on are the caller's).</param>
    public KeelClient(HttpClient httpClient)
        : this(httpClient, new KeelClientOptions())
    {
    }

    /// <summary>Creates a client that sends through <paramref name="httpClient"/> with the given settings.</summary>
    /// <param name="httpClient">The HTTP client; its <see cref="HttpClient.BaseAddress"/> must be the tracking URI.</param>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    public KeelClient(HttpClient httpClient, KeelClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("HttpClient.BaseAddress must be set to the tracking URI.", nameof(httpClient));
        }

        _options = options.Validated();
        TrackingUri = NormalizeBase(httpClient.BaseAddress);
        _http = httpClient;
        _ownsHttp = false;
    }

    /// <summary>The server's base URI, always ending with <c>/</c>.</summary>
    public Uri TrackingUri { get; }

    /// <summary>
    /// The tracking URI from the environment: <c>KEEL_TRACKING_URI</c>, else
    /// <c>MLFLOW_TRACKING_URI</c>, else <see cref="DefaultTrackingUri"/>.
    /// </summary>
    /// <returns>The URI.</returns>
    /// <exception cref="ArgumentException">The variable is set but is not an absolute http(s) URI.</exception>
    public static Uri GetTrackingUriFromEnvironment()
    {
        foreach (var name in (string[])["KEEL_TRACKING_URI", "MLFLOW_TRACKING_URI"])
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return ParseTrackingUri(value, name);
            }
        }

        return new Uri(DefaultTrackingUri);
    }

    /// <summary>Parses a tracking URI given by a person (command line, configuration).</summary>
    /// <param name="value">An absolute http or https URI.</param>
    /// <param name="source">Where the value came from, for the error message.</param>
    /// <returns>The URI.</returns>
    /// <exception cref="ArgumentException">The value is not an absolute http(s) URI.</exception>
    public static Uri ParseTrackingUri(string value, string source)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
            || (!string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal)
                && !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"{source}: '{value}' is not an http(s) tracking URI (e.g. {DefaultTrackingUri}).", nameof(value));
        }

        return uri;
    }

    /// <summary>Creates a client for <see cref="GetTrackingUriFromEnvironment"/>.</summary>
    /// <returns>The client.</returns>
    public static KeelClient FromEnvironment() => new(GetTrackingUriFromEnvironment());

    /// <summary>Creates a client for <see cref="GetTrackingUriFromEnvironment"/> with the given settings.</summary>
    /// <param name="options">The settings.</param>
    /// <returns>The client.</returns>
    public static KeelClient FromEnvironment(KeelClientOptions options) => new(GetTrackingUriFromEnvironment(), options);

    /// <summary>Disposes the HTTP client if this object created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal KeelClientOptions Options => _options;

    internal long NowMilliseconds() => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private static Uri NormalizeBase(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("The tracking URI must be absolute.", nameof(uri));
        }

        var text = uri.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    private Uri ApiUri(string method, string? query = null) =>
        new(TrackingUri, ApiPrefix + method + (query is null ? "" : "?" + query));

    /// <summary>Keel's own routes beside MLflow's (e.g. the alias history).</summary>
    private Uri KeelApiUri(string method, string? query = null) =>
        new(TrackingUri, "api/2.0/keel/" + method + (query is null ? "" : "?" + query));

    internal static string Query(params (string Name, string? Value)[] pairs) =>
        string.Join('&', pairs
            .Where(p => p.Value is not null)
            .Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value!)));

    private Task<TResponse> GetAsync<TResponse>(
        string method, string query, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, ApiUri(method, query), content: null, responseType, cancellationToken);

    private Task<TResponse> PostAsync<TRequest, TResponse>(
        string method,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, ApiUri(method), body, requestType, responseType, cancellationToken);

    /// <summary>A JSON body with any method: the registry also uses PATCH and DELETE with bodies (reference §3.2).</summary>
    private Task<TResponse> SendJsonAsync<TRequest, TResponse>(
        HttpMethod httpMethod,
        Uri uri,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        // Serialized up front: the bodies are small and a known Content-Length suits every proxy.
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, requestType));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return SendAsync(httpMethod, uri, content, responseType, cancellationToken);
    }

    private Task PostAsync<TRequest>(
        string method, TRequest body, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken) =>
        PostAsync(method, body, requestType, WireJson.Default.EmptyDto, cancellationToken);

    private async Task<TResponse> SendAsync<TResponse>(
        HttpMethod method, Uri uri, HttpContent? content, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.RequestTimeout);
        }

        try
        {
            using var request = new HttpRequestMessage(method, uri) { Content = content };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            await EnsureSuccessAsync(response, timeout.Token);
            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (bytes.Length == 0)
            {
                // Success answers are "{}" at least (reference §1.3); be lenient about an empty body.
                bytes = "{}"u8.ToArray();
            }

            return JsonSerializer.Deserialize(bytes, responseType)
                ?? throw new JsonException($"The server answered 'null' to {method} {uri.AbsolutePath}.");
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"{method} {uri.AbsolutePath} did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s (KeelClientOptions.RequestTimeout).", ex);
        }
    }

    /// <summary>Throws <see cref="KeelApiException"/> for a non-success answer.</summary>
    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = response.StatusCode;
        string text;
        try
        {
            // Error bodies are small; read at most 64 KiB so a misbehaving proxy cannot flood us.
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            text = Encoding.UTF8.GetString(buffer, 0, length);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        ErrorDto? error = null;
        try
        {
            if (text.TrimStart().StartsWith('{'))
            {
                error = JsonSerializer.Deserialize(text, WireJson.Default.ErrorDto);
            }
        }
        catch (JsonException)
        {
            // Not MLflow's error shape (a proxy's page, say): fall back to the status below.
        }

        var code = string.IsNullOrEmpty(error?.ErrorCode) ? CodeForStatus(status) : error.ErrorCode;
        var message = !string.IsNullOrEmpty(error?.Message) ? error.Message
            : !string.IsNullOrWhiteSpace(text) ? Truncate(text.Trim(), 500)
            : $"HTTP {(int)status} {response.ReasonPhrase}".TrimEnd();
        throw new KeelApiException(code, message, status);
    }

    // What MLflow's clients assume when an answer carries no error_code (reference §1.1, §1.4).
    private static string CodeForStatus(HttpStatusCode status) => (int)status switch
    {
        404 => KeelErrorCodes.EndpointNotFound,
        401 => KeelErrorCodes.Unauthenticated,
        403 => KeelErrorCodes.PermissionDenied,
        429 => "REQUEST_LIMIT_EXCEEDED",
        501 => KeelErrorCodes.NotImplemented,
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        >= 400 and < 500 => KeelErrorCodes.BadRequest,
        _ => KeelErrorCodes.InternalError,
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
