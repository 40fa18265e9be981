using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Keel.Server.Ui;

/// <summary>
/// The web UI: a single page served at <c>/</c> from files embedded in this assembly (no CDN, no
/// runtime download), talking to the same REST API as every client (<c>/ajax-api/2.0/mlflow</c>,
/// <c>/api/2.0/keel</c>). Pages are addressed by the URL fragment (<c>/#/experiments/1</c>), so
/// every entity has a copyable URL. See docs/architecture.md "Web UI".
/// </summary>
public static class UiEndpoints
{
    private const string Prefix = "Keel.Server.Ui.wwwroot.";

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType, string ETag)> Files = Load();

    public static IEndpointRouteBuilder MapKeelUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html"));
        app.MapGet("/ui/{file}", (HttpContext context, string file) => Serve(context, file));
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Files.TryGetValue(file, out var entry))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ETag = entry.ETag;
        headers.CacheControl = "no-cache"; // revalidate: a new build serves new files at once
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        if (context.Request.Headers.IfNoneMatch == entry.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(entry.Bytes, entry.ContentType);
    }

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var assembly = typeof(UiEndpoints).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var file = name[Prefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[file] = (bytes, type, $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}\"");
        }

        return files;
    }
}
