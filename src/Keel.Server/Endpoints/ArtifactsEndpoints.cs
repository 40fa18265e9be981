using Keel.Core.Artifacts;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Server.Http;
using Keel.Storage.Artifacts.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>
/// Artifact listing on the tracking side (reference §2.5) and the artifact proxy
/// `/api/2.0/mlflow-artifacts` (§2.7). Bodies stream both ways; paths pass <see cref="ArtifactPaths"/>.
/// </summary>
internal static class ArtifactsEndpoints
{
    private const string ProxyScheme = "mlflow-artifacts:";
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void MapArtifactsEndpoints(this MlflowRouteTable routes) => routes
        .Get("mlflow/artifacts/list", Permission.Read, ListRunArtifacts)
        .Add("POST", "mlflow/upload-artifact", Permission.Edit, UploadRunArtifact, rawBody: true)
        .Get("mlflow-artifacts/artifacts", Permission.Read, ListProxied)
        .Add("GET", "mlflow-artifacts/artifacts/{**path}", Permission.Read, Download, rawBody: true)
        .Add("PUT", "mlflow-artifacts/artifacts/{**path}", Permission.Edit, Upload, rawBody: true)
        .Add("DELETE", "mlflow-artifacts/artifacts/{**path}", Permission.Edit, Delete, rawBody: true)
        .Add("POST", "mlflow-artifacts/mpu/create/{**path}", Permission.Edit, MultipartNotSupported, rawBody: true)
        .Add("POST", "mlflow-artifacts/mpu/complete/{**path}", Permission.Edit, MultipartNotSupported, rawBody: true)
        .Add("POST", "mlflow-artifacts/mpu/abort/{**path}", Permission.Edit, MultipartNotSupported, rawBody: true);

    /// <summary>
    /// MLflow's UI download route, outside the API prefix: `GET /get-artifact?path=…&amp;run_uuid=…`
    /// streams one file of a run as an attachment, wherever the run's artifact root is served from
    /// (the proxied store or a local folder). Keel's web UI previews and downloads through it.
    /// </summary>
    public static IEndpointRouteBuilder MapKeelGetArtifact(this IEndpointRouteBuilder app)
    {
        app.MapGet("/get-artifact", async context =>
        {
            var services = context.RequestServices;
            var request = new MlflowRequest(context, MlflowArgs.FromQuery(context.Request.Query),
                services.GetRequiredService<TrackingService>(), services.GetRequiredService<RegistryService>());
            await (await GetRunArtifact(request)).ExecuteAsync(context);
        }).WithMetadata(new RequiredPermission(Permission.Read));
        return app;
    }

    private static async Task<IResult> GetRunArtifact(MlflowRequest r)
    {
        var runId = r.Args.String("run_uuid") ?? r.Args.String("run_id") ?? throw KeelException.Missing("run_uuid");
        var path = ArtifactPaths.Validate(r.Args.RequiredString("path"));
        var run = await r.Tracking.GetRunAsync(runId, r.Ct);
        var (store, root) = RunArtifactRoot(r, run.Info);
        var stream = (store is null ? null : await store.OpenReadAsync(ArtifactPaths.Combine(root, path), r.Ct))
            ?? throw KeelException.NotFound($"Artifact '{path}' of run '{runId}' not found.");
        return Attachment(r, path, stream);
    }

    private static IResult Attachment(MlflowRequest r, string path, Stream stream)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        r.Http.Response.Headers.ContentDisposition = $"attachment; filename={name}";
        r.Http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Stream(stream, ContentTypes.TryGetContentType(name, out var type) ? type : "application/octet-stream");
    }

    private static IArtifactStore Store(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<IArtifactStore>();

    private static async Task<IResult> ListRunArtifacts(MlflowRequest r)
    {
        var run = await r.Tracking.GetRunAsync(r.Args.RunId(), r.Ct);
        var relative = ArtifactPaths.Validate(r.Args.String("path"));
        var (store, root) = RunArtifactRoot(r, run.Info);
        var entries = store is null ? null : await store.ListAsync(ArtifactPaths.Combine(root, relative), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteString("root_uri", run.Info.ArtifactUri);
            if (entries is { Count: > 0 })
            {
                w.WriteStartArray("files");
                foreach (var entry in entries)
                {
                    MlflowJson.FileInfo(w, ArtifactPaths.Combine(relative, entry.Name), entry);
                }

                w.WriteEndArray();
            }
        });
    }

    /// <summary>The UI's single-file upload into a run (reference §1.1, body ≤ 10 MB).</summary>
    private static async Task<IResult> UploadRunArtifact(MlflowRequest r)
    {
        var query = MlflowArgs.FromQuery(r.Http.Request.Query);
        var runId = query.String("run_uuid") ?? query.String("run_id") ?? throw KeelException.Missing("run_uuid");
        var path = ArtifactPaths.Validate(query.RequiredString("path"));
        var run = await r.Tracking.GetRunAsync(runId, r.Ct);
        var (store, root) = RunArtifactRoot(r, run.Info);
        if (store is null)
        {
            throw KeelException.Invalid($"The run's artifact location '{run.Info.ArtifactUri}' is not served by this server.");
        }

        r.SetBodyLimit(10L * 1024 * 1024);
        await store.WriteAsync(ArtifactPaths.Combine(root, path), r.Http.Request.Body, r.Ct);
        return JsonResult.Empty;
    }

    /// <summary>Maps a run's artifact URI onto a store this server can read, when it can.</summary>
    internal static (IArtifactStore? Store, string Root) RunArtifactRoot(MlflowRequest r, RunInfo info) => Locate(Store(r), info.ArtifactUri);

    /// <summary>
    /// Maps an artifact URI onto a store this server can read: `mlflow-artifacts:` paths onto the
    /// proxied store, an existing absolute local folder onto itself; anything else to null.
    /// </summary>
    internal static (IArtifactStore? Store, string Root) Locate(IArtifactStore proxied, string uri)
    {
        if (uri.StartsWith(ProxyScheme, StringComparison.Ordinal))
        {
            var rest = uri[ProxyScheme.Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                // mlflow-artifacts://host:port/path: the path part is what the proxy stores.
                var slash = rest.IndexOf('/', 2);
                rest = slash < 0 ? string.Empty : rest[slash..];
            }

            return (proxied, rest.Trim('/'));
        }

        var local = uri.StartsWith("file://", StringComparison.Ordinal) ? new Uri(uri).LocalPath : uri;
        return Path.IsPathRooted(local) && Directory.Exists(local) ? (new LocalArtifactStore(local), string.Empty) : (null, string.Empty);
    }

    private static async Task<IResult> ListProxied(MlflowRequest r)
    {
        var path = ArtifactPaths.Validate(r.Args.String("path"));
        var entries = await Store(r).ListAsync(path, r.Ct);
        return JsonResult.Object(w =>
        {
            // The proxy lists basenames only (reference §2.7); like MLflow, nothing to list is `{}`.
            if (entries is not { Count: > 0 })
            {
                return;
            }

            w.WriteStartArray("files");
            foreach (var entry in entries)
            {
                MlflowJson.FileInfo(w, entry.Name, entry);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> Download(MlflowRequest r)
    {
        var path = ArtifactPaths.Validate(RoutePath(r));
        var stream = await Store(r).OpenReadAsync(path, r.Ct)
            ?? throw KeelException.NotFound($"File {path} not found.");
        return Attachment(r, path, stream);
    }

    private static async Task<IResult> Upload(MlflowRequest r)
    {
        var path = ArtifactPaths.Validate(RoutePath(r));
        if (path.Length == 0)
        {
            throw KeelException.Invalid("Invalid path '': an artifact upload needs a file path.");
        }

        // Artifacts have no size limit: the body streams to the file.
        r.SetBodyLimit(null);
        await Store(r).WriteAsync(path, r.Http.Request.Body, r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        var path = ArtifactPaths.Validate(RoutePath(r));
        if (path.Length == 0)
        {
            throw KeelException.Invalid("Invalid path '': refusing to delete the artifact root.");
        }

        await Store(r).DeleteAsync(path, r.Ct);
        return JsonResult.Empty;
    }

    private static Task<IResult> MultipartNotSupported(MlflowRequest r) =>
        throw new KeelException(ErrorCode.NOT_IMPLEMENTED,
            "Multipart upload is not supported for the current artifact repository: upload with a single PUT.");

    private static string RoutePath(MlflowRequest r) => r.Http.Request.RouteValues["path"] as string ?? string.Empty;
}
