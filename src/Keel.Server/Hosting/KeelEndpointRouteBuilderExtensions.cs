using System.Reflection;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Server.Endpoints;
using Keel.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Hosting;

public static class KeelEndpointRouteBuilderExtensions
{
    public static IApplicationBuilder UseKeelErrors(this IApplicationBuilder app) => app.UseMiddleware<ErrorHandlingMiddleware>();

    public static IEndpointRouteBuilder MapKeelHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Text("OK"));
        app.MapGet("/version", () => Results.Text(Version));
        return app;
    }

    public static string Version { get; } =
        typeof(KeelApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Maps every route of <see cref="MlflowRouteTable"/> under each API prefix.</summary>
    public static IEndpointRouteBuilder MapKeelMlflow(this IEndpointRouteBuilder app)
    {
        var table = MlflowRouteTable.Create();
        foreach (var prefix in MlflowRouteTable.Prefixes)
        {
            foreach (var route in table.Routes)
            {
                app.MapMethods(prefix + route.Path, [route.Method], context => HandleAsync(context, route))
                    .WithMetadata(new RequiredPermission(route.Permission));
            }
        }

        return app;
    }

    /// <summary>Unknown API routes answer MLflow's ENDPOINT_NOT_FOUND; a known path with another method answers 405.</summary>
    public static IEndpointRouteBuilder MapKeelFallback(this IEndpointRouteBuilder app)
    {
        var table = MlflowRouteTable.Create();
        // "{**path}" rather than the default "{*path:nonfile}": API paths ending in "x.json" are API paths too.
        app.MapFallback("{**path}", async context =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            var known = MlflowRouteTable.Prefixes.Any(prefix => table.Routes.Any(r => Matches(prefix + r.Path, path)));
            if (known)
            {
                context.Response.Headers.Allow = string.Join(", ", MlflowRouteTable.Prefixes
                    .SelectMany(prefix => table.Routes.Where(r => Matches(prefix + r.Path, path)).Select(r => r.Method)).Distinct());
                await ErrorHandlingMiddleware.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, nameof(ErrorCode.BAD_REQUEST),
                    $"Method {context.Request.Method} is not allowed for {path}.");
                return;
            }

            await ErrorHandlingMiddleware.WriteAsync(context, StatusCodes.Status404NotFound, nameof(ErrorCode.ENDPOINT_NOT_FOUND),
                $"No API endpoint {context.Request.Method} {path} on this server.");
        });
        return app;
    }

    private static bool Matches(string template, string path)
    {
        var catchAll = template.IndexOf("{**", StringComparison.Ordinal);
        return catchAll < 0
            ? string.Equals(template, path, StringComparison.Ordinal)
            : path.StartsWith(template[..catchAll], StringComparison.Ordinal);
    }

    private static async Task HandleAsync(HttpContext context, MlflowRoute route)
    {
        var args = route.RawBody
            ? MlflowArgs.FromQuery(context.Request.Query)
            : await MlflowArgs.ReadAsync(context.Request, context.RequestAborted);
        var services = context.RequestServices;
        var result = await route.Handler(new MlflowRequest(
            context, args, services.GetRequiredService<TrackingService>(), services.GetRequiredService<RegistryService>()));
        await result.ExecuteAsync(context);
    }
}
