using Keel.Core.Deployments;
using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Keel.Server.Serving;

/// <summary>
/// A serving process as a library (`keel serve`, tests, the load benchmark): one deployment (or
/// one model) behind MLflow's scoring protocol (`/invocations`, `/ping`, `/health`, `/version`),
/// the Open Inference Protocol v2 (`/v2/...`) and `/metrics`.
/// </summary>
public static partial class ServingApp
{
    /// <summary>Serves one model as a deployment of one route named after it.</summary>
    public static WebApplication Build(ServeOptions options, ServedModel model, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = new DeploymentSpec([new RouteSpec("primary", model.Source, 100)], null, null, InferenceLogSpec.Default, null);
        var table = new RouteTable(model.Name, 0, [new ActiveRoute("primary", model.Source, 100, new SharedModel(model))], null, spec);
        return Build(options, new DeploymentRuntime(table), configure);
    }

    public static WebApplication Build(ServeOptions options, DeploymentRuntime runtime, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runtime);
        var builder = KeelApp.CreateBuilder(options.Host, options.Port, options.MaxRequestMb);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IDeploymentDirectory>(new SingleDeployment(runtime));
        builder.Services.AddSingleton(options);
        builder.Services.AddKeelServing(options.InferenceSink, options.InferenceLog);
        builder.Services.AddHostedService(sp => new Refresher(runtime, options, sp.GetRequiredService<ILogger<Refresher>>()));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(runtime.Dispose);
        app.UseKeelErrors();
        app.MapServingEndpoints(single: true);
        app.MapMetrics(app.Services.GetRequiredService<ServingMetrics>().Registry);
        return app;
    }

    /// <summary>The inference log, the shadow runner and metrics: what both `keel server` and `keel serve` score with.</summary>
    internal static IServiceCollection AddKeelServing(this IServiceCollection services, IInferenceSink? sink, InferenceLogOptions options)
    {
        services.AddSingleton(sp => new InferenceLog(sink ?? sp.GetService<IInferenceSink>(), options, sp.GetRequiredService<ILogger<InferenceLog>>()));
        services.AddHostedService(sp => sp.GetRequiredService<InferenceLog>());
        services.AddSingleton(sp => new ShadowRunner(sp.GetRequiredService<InferenceLog>()));
        services.AddHostedService(sp => sp.GetRequiredService<ShadowRunner>());
        services.AddSingleton<ServingMetrics>();
        return services;
    }

    /// <summary>`/metrics` in Prometheus' text format from this app's own registry.</summary>
    internal static void MapMetrics(this WebApplication app, CollectorRegistry registry) =>
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });

    private sealed class SingleDeployment(DeploymentRuntime runtime) : IDeploymentDirectory
    {
        public DeploymentRuntime? Default => runtime;

        public DeploymentRuntime? Find(string name) => string.Equals(name, runtime.Name, StringComparison.Ordinal) ? runtime : null;
    }

    /// <summary>
    /// Calls <see cref="ServeOptions.Refresh"/> every <see cref="ServeOptions.RefreshInterval"/>; a
    /// failed refresh keeps what is served and is logged.
    /// </summary>
    private sealed partial class Refresher(DeploymentRuntime runtime, ServeOptions options, ILogger<Refresher> logger) : BackgroundService
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
                var before = runtime.Current;
                try
                {
                    await options.Refresh(runtime, stoppingToken);
                    if (!ReferenceEquals(before, runtime.Current))
                    {
                        LogSwapped(logger, runtime.Name, runtime.Current.Revision,
                            string.Join(", ", runtime.Current.Routes.Select(r => $"{r.Name}={r.Model.Name}/{r.Model.Version}")));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, e, runtime.Name);
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Now serving {Name} revision {Revision}: {Routes}.")]
        private static partial void LogSwapped(ILogger logger, string name, long revision, string routes);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh {Name}; still serving what it served.")]
        private static partial void LogRefreshFailed(ILogger logger, Exception e, string name);
    }
}
