using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Serving;

/// <summary>
/// A serving process as a library (`keel serve`, tests, the load benchmark): one model behind
/// MLflow's scoring protocol (`/invocations`, `/ping`, `/health`, `/version`) and the Open
/// Inference Protocol v2 (`/v2/...`).
/// </summary>
public static class ServingApp
{
    public static WebApplication Build(ServeOptions options, ServedModel model, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        var builder = KeelApp.CreateBuilder(options.Host, options.Port, options.MaxRequestMb);
        var host = new ModelHost(model);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton(options);
        builder.Services.AddHostedService<ModelRefresher>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(host.Dispose);
        app.UseKeelErrors();
        app.MapServingEndpoints();
        return app;
    }
}
