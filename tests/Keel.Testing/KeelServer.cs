using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Keel.Testing;

/// <summary>
/// A real Keel server (Kestrel on 127.0.0.1, a free port) over a temporary SQLite database and
/// artifact folder, unless <c>configure</c> points it elsewhere. Each instance is independent.
/// </summary>
public sealed class KeelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDataDir;

    private KeelServer(WebApplication app, KeelOptions options, bool ownsDataDir)
    {
        _app = app;
        Options = options;
        _ownsDataDir = ownsDataDir;
        BaseUri = KeelApp.BoundAddress(app);
    }

    public Uri BaseUri { get; }

    public KeelOptions Options { get; }

    public string DataDir => Options.DataDir;

    public IServiceProvider Services => _app.Services;

    public static async Task<KeelServer> StartAsync(Action<KeelOptions>? configure = null, CancellationToken ct = default)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "keel-test-" + Guid.NewGuid().ToString("N")[..12]);
        var options = new KeelOptions { Host = "127.0.0.1", Port = 0, DataDir = dataDir };
        configure?.Invoke(options);
        var app = KeelApp.Build(options);
        await app.StartAsync(ct);
        return new KeelServer(app, options, ownsDataDir: options.DataDir == dataDir);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(2) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDataDir && Directory.Exists(DataDir))
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by the OS is cleaned with the temp folder.
            }
        }
    }
}
