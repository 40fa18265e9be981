using Keel.Core.Artifacts;
using Keel.Core.Deployments;
using Keel.Core.Inference;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Server.Deployments;
using Keel.Server.Serving;
using Keel.Storage.Artifacts.Local;
using Keel.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
        services.AddSingleton(sp => TrackingStoreFactory.OpenDatasets(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton(sp => new Keel.Data.Versioning.DatasetService(
            sp.GetRequiredService<Keel.Core.Datasets.IDatasetStore>(), sp.GetRequiredService<IArtifactStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<TrackingInitializer>();
        return services;
    }

    /// <summary>
    /// Deployments served by this process, the inference log in the same database, metrics and
    /// the shadow runner. Registered after tracking, so its hosted worker starts after migrations.
    /// </summary>
    public static IServiceCollection AddKeelDeployments(this IServiceCollection services, KeelOptions options)
    {
        var scratch = Path.Combine(Path.GetFullPath(options.DataDir), "serving-tmp");
        services.AddSingleton(sp => TrackingStoreFactory.OpenDeployments(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton(sp => TrackingStoreFactory.OpenInferenceLog(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton<IInferenceSink>(sp => new StoreInferenceSink(sp.GetRequiredService<IInferenceLogStore>()));
        services.AddSingleton<IModelSource>(sp => new ServerModelSource(
            sp.GetRequiredService<RegistryService>(), sp.GetRequiredService<TrackingService>(), sp.GetRequiredService<IArtifactStore>(), scratch));
        services.AddSingleton(sp => new DeploymentManager(
            sp.GetRequiredService<IDeploymentStore>(), sp.GetRequiredService<IInferenceLogStore>(), sp.GetRequiredService<IModelSource>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DeploymentManager>>())
        {
            TickInterval = TimeSpan.FromSeconds(options.DeploymentRefreshSeconds),
        });
        services.AddSingleton<IDeploymentDirectory>(sp => sp.GetRequiredService<DeploymentManager>());
        services.AddHostedService(sp => new DeploymentManager.Worker(sp.GetRequiredService<DeploymentManager>()));
        services.AddKeelServing(null, new InferenceLogOptions());
        return services;
    }

    /// <summary>Feedback, monitors and their scheduler, over the inference log and the dataset profiles. Registered after deployments.</summary>
    public static IServiceCollection AddKeelMonitoring(this IServiceCollection services, KeelOptions options)
    {
        services.AddSingleton(sp => TrackingStoreFactory.OpenMonitoring(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton<Keel.Monitoring.Monitors.IMonitorReferenceSource>(sp => new Keel.Server.Monitoring.ServerMonitorReferences(
            sp.GetRequiredService<Keel.Data.Versioning.DatasetService>(), sp.GetRequiredService<IDeploymentStore>(),
            sp.GetRequiredService<RegistryService>(), sp.GetRequiredService<TrackingService>(), sp.GetRequiredService<IArtifactStore>()));
        services.AddSingleton(sp => new Keel.Monitoring.Monitors.MonitorService(
            sp.GetRequiredService<Keel.Core.Monitoring.IMonitoringStore>(), sp.GetRequiredService<IInferenceLogStore>(),
            sp.GetRequiredService<Keel.Monitoring.Monitors.IMonitorReferenceSource>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Keel.Server.Monitoring.MonitorGauges>();
        services.AddSingleton(sp => TrackingStoreFactory.OpenAlerts(sp.GetRequiredService<ITrackingStore>()));
        services.AddSingleton(new Keel.Server.Monitoring.WebhookOptions { FirstRetryDelay = TimeSpan.FromSeconds(options.WebhookRetrySeconds) });
        services.AddSingleton<Keel.Server.Monitoring.WebhookNotifier>();
        services.AddSingleton<Keel.Monitoring.Alerts.IAlertNotifier>(sp => sp.GetRequiredService<Keel.Server.Monitoring.WebhookNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<Keel.Server.Monitoring.WebhookNotifier>());
        services.AddSingleton(sp => new Keel.Monitoring.Alerts.AlertService(
            sp.GetRequiredService<Keel.Core.Monitoring.IAlertStore>(), sp.GetRequiredService<Keel.Core.Monitoring.IMonitoringStore>(),
            sp.GetRequiredService<IInferenceLogStore>(), sp.GetRequiredService<Keel.Monitoring.Alerts.IAlertNotifier>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => new Keel.Server.Monitoring.MonitorScheduler(
            sp.GetRequiredService<Keel.Monitoring.Monitors.MonitorService>(), sp.GetRequiredService<Keel.Monitoring.Alerts.AlertService>(),
            sp.GetRequiredService<Keel.Server.Monitoring.MonitorGauges>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Keel.Server.Monitoring.MonitorScheduler>>())
        {
            TickInterval = TimeSpan.FromSeconds(options.MonitorTickSeconds),
        });
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
