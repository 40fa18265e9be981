using System.ComponentModel.DataAnnotations;
using System.Net;
using Keel.Core.Errors;
using Keel.Server.Endpoints;
using Keel.Server.Serving;
using Keel.Server.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Hosting;

/// <summary>
/// The server as a library: one way to build the app from typed options, used by `keel server`,
/// by tests and by the load benchmark.
/// </summary>
public static class KeelApp
{
    public static WebApplication Build(KeelOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        Validate(options);
        var builder = CreateBuilder(options.Host, options.Port, options.MaxRequestMb);
        builder.Services.AddKeelTracking(options);
        builder.Services.AddKeelDeployments(options);
        builder.Services.AddKeelMonitoring(options);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseKeelErrors();
        app.MapKeelHealth();
        app.MapKeelMlflow();
        app.MapKeelGetArtifact();
        app.MapServingEndpoints(single: false);
        app.MapMetrics(app.Services.GetRequiredService<ServingMetrics>().Registry);
        app.MapKeelUi();
        app.MapKeelFallback();
        return app;
    }

    /// <summary>
    /// What every Keel process hosts on: a slim builder, warnings-only console logging, 30 s to drain
    /// on shutdown, Kestrel on one address with a body limit. `keel server` and `keel serve` share it.
    /// </summary>
    internal static WebApplicationBuilder CreateBuilder(string host, int port, int maxRequestMb)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        // ASP.NET Core's hosting logs only request start/finish (Information, filtered out above), but
        // while its logger is enabled at all it starts an Activity and a logging scope for every
        // request; off, a scoring request does not pay for them (docs/benchmarks.md, fourth pass).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = (long)maxRequestMb * 1024 * 1024;
            Listen(kestrel, host, port);
        });
        return builder;
    }

    /// <summary>The address the server listens on once started (port 0 resolved).</summary>
    public static Uri BoundAddress(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, string host, int port)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.Listen(IPAddress.Loopback, port);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            kestrel.Listen(ip, port);
        }
        else
        {
            throw KeelException.Invalid($"Invalid --host '{host}': give an IP address such as 127.0.0.1 or 0.0.0.0, or localhost.");
        }
    }

    private static void Validate(KeelOptions options)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw KeelException.Invalid("Invalid configuration: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        }
    }
}
