using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Serving;

/// <summary>
/// The model a serving process answers with, swappable while requests run: each request leases
/// the current model; a swap makes the new one current at once and disposes the old one when its
/// last lease ends, so no in-flight request loses its model.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly Lock _gate = new();
    private Entry _current;

    public ModelHost(ServedModel model) => _current = new Entry(model);

    public ServedModel Current => _current.Model;

    /// <summary>The current model, held until the lease is disposed.</summary>
    public Lease Acquire()
    {
        lock (_gate)
        {
            _current.Leases++;
            return new Lease(this, _current);
        }
    }

    /// <summary>Makes <paramref name="model"/> current; the previous one is disposed after its last request.</summary>
    public void Swap(ServedModel model)
    {
        Entry old;
        lock (_gate)
        {
            old = _current;
            _current = new Entry(model);
            old.Retired = true;
            if (old.Leases > 0)
            {
                return;
            }
        }

        old.Model.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current.Retired = true;
            if (_current.Leases > 0)
            {
                return;
            }
        }

        _current.Model.Dispose();
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Leases > 0 || !entry.Retired)
            {
                return;
            }
        }

        entry.Model.Dispose();
    }

    private sealed class Entry(ServedModel model)
    {
        public ServedModel Model { get; } = model;

        public int Leases { get; set; }

        public bool Retired { get; set; }
    }

    /// <summary>A request's hold on one model.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ModelHost _host;
        private readonly Entry _entry;

        internal Lease(ModelHost host, object entry)
        {
            _host = host;
            _entry = (Entry)entry;
        }

        public ServedModel Model => _entry.Model;

        public void Dispose() => _host.Release(_entry);
    }
}

/// <summary>
/// Polls <see cref="ServeOptions.Refresh"/> every <see cref="ServeOptions.RefreshInterval"/> and
/// swaps in what it returns (a model loaded and checked before it takes traffic); a failed
/// refresh keeps the current model and is logged.
/// </summary>
internal sealed partial class ModelRefresher(ModelHost host, ServeOptions options, ILogger<ModelRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Refresh is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await options.Refresh(host.Current, stoppingToken) is { } next)
                {
                    host.Swap(next);
                    LogSwapped(logger, next.Name, next.Version, next.Source);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(logger, e, host.Current.Source);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Now serving {Name} version {Version} (from {Source}).")]
    private static partial void LogSwapped(ILogger logger, string name, string version, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh {Source}; still serving the current version.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception e, string source);
}
