using Keel.Core.Artifacts;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Storage.Artifacts.Local;
using Keel.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Keel.Server.Hosting;

public static class KeelServiceCollectionExtensions
{
    /// <summary>Tracking and registry: the store the options name, the artifact folder, the services, start-up migration.</summary>
    public static IServiceCollection AddKeelTracking(this IServiceCollection services, KeelOptions options)
    {
        var dataDir = Path.GetFullPath(options.DataDir);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ITrackingStore>(_ => TrackingStoreFactory.Open(ResolveBackendStoreUri(options)));
        services.AddSingleton<IArtifactStore>(_ => new LocalArtifactStore(options.ArtifactsDestination ?? Path.Combine(dataDir, "artifacts")));
        services.AddSingleton(new TrackingOptions());
        services.AddSingleton<TrackingService>();
        services.AddSingleton(sp => TrackingStoreFactory.OpenRegistry(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton<RegistryService>();
        services.AddHostedService<TrackingInitializer>();
        return services;
    }

    public static string ResolveBackendStoreUri(KeelOptions options) =>
        options.BackendStoreUri ?? "sqlite:///" + Path.Combine(Path.GetFullPath(options.DataDir), "keel.db");

    /// <summary>Migrates the schema and creates the Default experiment before the server listens.</summary>
    private sealed class TrackingInitializer(TrackingService tracking) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => tracking.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
