using System.Collections.Concurrent;
using Keel.Client;
using Keel.Testing;

namespace Keel.Server.Tests.Client;

/// <summary>
/// One real Keel server shared by the tests of a class. Tests isolate themselves by creating
/// experiments with unique names, so nothing needs resetting between them.
/// </summary>
public sealed class SharedKeelServer : IAsyncLifetime
{
    private KeelServer? _server;

    public KeelServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Uri BaseUri => Server.BaseUri;

    public async Task InitializeAsync() => _server = await KeelServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A client whose requests are counted by path, for tests that assert how many calls an operation takes.</summary>
    public (KeelClient Client, RequestCounter Counter) CreateCountingClient(KeelClientOptions? options = null)
    {
        var counter = new RequestCounter(new SocketsHttpHandler());
        var http = new HttpClient(counter) { BaseAddress = BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        return (new KeelClient(http, options ?? new KeelClientOptions()), counter);
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

/// <summary>Counts the requests that pass through it, by URI path.</summary>
public sealed class RequestCounter(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int Count(string pathSuffix) =>
        _counts.Where(p => p.Key.EndsWith(pathSuffix, StringComparison.Ordinal)).Sum(p => p.Value);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _counts.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
