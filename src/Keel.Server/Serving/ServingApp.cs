using System.Net;
using Keel.Core.Errors;
using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = (long)options.MaxRequestMb * 1024 * 1024;
            if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.Listen(IPAddress.Loopback, options.Port);
            }
            else if (IPAddress.TryParse(options.Host, out var ip))
            {
                kestrel.Listen(ip, options.Port);
            }
            else
            {
                throw KeelException.Invalid($"Invalid --host '{options.Host}': give an IP address such as 127.0.0.1 or 0.0.0.0, or localhost.");
            }
        });
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
