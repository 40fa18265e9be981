using System.Text.Json;
using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Versioning;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>Versioned datasets (`/api/2.0/keel/datasets/...`, issue 6): chunks, versions, garbage collection.</summary>
internal static class DatasetsEndpoints
{
    public static void MapDatasetsEndpoints(this MlflowRouteTable routes) => routes
        .Post("keel/datasets/chunks/missing", Permission.Edit, Missing)
        .Add("PUT", "keel/datasets/chunks/{hash}", Permission.Edit, PutChunk, rawBody: true)
        .Add("POST", "keel/datasets/packs", Permission.Edit, PutPack, rawBody: true)
        .Add("GET", "keel/datasets/chunks/{hash}", Permission.Read, GetChunk, rawBody: true)
        .Post("keel/datasets/versions/create", Permission.Edit, CreateVersion)
        .Get("keel/datasets/versions/get", Permission.Read, GetVersion)
        .Get("keel/datasets/versions/list", Permission.Read, ListVersions)
        .Add("DELETE", "keel/datasets/versions/delete", Permission.Manage, DeleteVersion)
        .Get("keel/datasets/get", Permission.Read, Get)
        .Get("keel/datasets/list", Permission.Authenticated, List)
        .Add("DELETE", "keel/datasets/delete", Permission.Manage, Delete)
        .Post("keel/datasets/gc", Permission.Manage, Gc);

    private static DatasetService Service(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<DatasetService>();

    private static async Task<IResult> Missing(MlflowRequest r)
    {
        var missing = await Service(r).MissingChunksAsync(r.Args.Strings("hashes"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("missing");
            foreach (var hash in missing)
            {
                w.WriteStringValue(hash);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> PutChunk(MlflowRequest r)
    {
        await Service(r).PutChunkAsync(Hash(r), r.Http.Request.Body, r.Http.Request.ContentLength, r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> PutPack(MlflowRequest r)
    {
        var service = Service(r);
        // A pack is bounded by its own limit, not by --max-request-mb (a window of chunks is ~32 MiB).
        r.SetBodyLimit(service.Options.MaxPackBytes);

        var stored = await service.PutPackAsync(r.Http.Request.Headers[DatasetService.PackHeader].ToString(), r.Http.Request.Body,
            r.Http.Request.ContentLength, r.Ct);
        return JsonResult.Object(w => w.WriteNumber("chunks_stored", stored));
    }

    private static async Task<IResult> GetChunk(MlflowRequest r) =>
        Results.Stream(await Service(r).OpenChunkAsync(Hash(r), r.Ct), "application/octet-stream");

    private static async Task<IResult> CreateVersion(MlflowRequest r)
    {
        var body = r.Args.Body;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("manifest", out var manifestJson))
        {
            throw KeelException.Invalid("'manifest' is required: {\"files\": [{\"path\", \"size\", \"chunks\": [[hash, size], ...]}]}.");
        }

        var manifest = DatasetManifest.FromJson(manifestJson, "manifest");
        string? schema = null;
        if (body.TryGetProperty("schema", out var schemaJson) && schemaJson.ValueKind != JsonValueKind.Null)
        {
            schema = schemaJson.ValueKind == JsonValueKind.Array ? schemaJson.GetRawText()
                : throw KeelException.Invalid("'schema' must be a list of {\"name\", \"type\"} columns.");
        }

        var (version, created) = await Service(r).CreateVersionAsync(
            r.Args.RequiredString("name"), manifest, r.Args.String("message"), r.Http.User.Identity?.Name ?? r.Args.String("author"),
            r.Args.Int64("row_count"), schema, r.Ct);
        return JsonResult.Object(w =>
        {
            WriteVersion(w, "version", version);
            w.WriteBoolean("created", created);
        });
    }

    private static async Task<IResult> GetVersion(MlflowRequest r)
    {
        var service = Service(r);
        var version = await service.GetVersionAsync(r.Args.RequiredString("name"), r.Args.String("version"), r.Ct);
        var manifest = await service.ReadManifestAsync(version.Id, r.Ct);
        var runs = await service.Store.FindRunsUsingAsync(version.Id, r.Ct);
        return JsonResult.Object(w =>
        {
            WriteVersion(w, "version", version);
            w.WritePropertyName("manifest");
            using (var document = JsonDocument.Parse(manifest.Canonical))
            {
                document.RootElement.WriteTo(w);
            }

            w.WriteStartArray("runs");
            foreach (var run in runs)
            {
                w.WriteStringValue(run);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> ListVersions(MlflowRequest r)
    {
        var name = r.Args.RequiredString("name");
        var service = Service(r);
        await service.GetDatasetAsync(name, r.Ct);
        var versions = await service.Store.ListVersionsAsync(name, r.Args.Bool("include_deleted") ?? false, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("versions");
            foreach (var version in versions)
            {
                WriteVersion(w, null, version);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> DeleteVersion(MlflowRequest r)
    {
        await Service(r).DeleteVersionAsync(r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Get(MlflowRequest r)
    {
        var dataset = await Service(r).GetDatasetAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Object(w => WriteDataset(w, "dataset", dataset));
    }

    private static async Task<IResult> List(MlflowRequest r)
    {
        var datasets = await Service(r).Store.ListDatasetsAsync(r.Args.String("name_contains"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("datasets");
            foreach (var dataset in datasets)
            {
                WriteDataset(w, null, dataset);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await Service(r).DeleteDatasetAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Gc(MlflowRequest r)
    {
        var graceSeconds = r.Args.Double("grace_seconds");
        if (graceSeconds is < 0)
        {
            throw KeelException.Invalid($"'grace_seconds' is {graceSeconds}; it must be zero or more.");
        }

        var report = await Service(r).CollectGarbageAsync(r.Args.Bool("dry_run") ?? false,
            graceSeconds is { } s ? TimeSpan.FromSeconds(s) : null, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteNumber("chunks_deleted", report.ChunksDeleted);
            w.WriteNumber("bytes_freed", report.BytesFreed);
            w.WriteNumber("chunks_kept", report.ChunksKept);
            w.WriteBoolean("dry_run", report.DryRun);
            w.WriteNumber("packs_deleted", report.PacksDeleted);
            w.WriteNumber("packs_rewritten", report.PacksRewritten);
        });
    }

    private static string Hash(MlflowRequest r) => r.Http.Request.RouteValues["hash"] as string ?? string.Empty;

    private static void WriteDataset(Utf8JsonWriter w, string? property, VersionedDataset d)
    {
        if (property is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(property);
        }

        w.WriteString("name", d.Name);
        if (d.Description is not null)
        {
            w.WriteString("description", d.Description);
        }

        w.WriteNumber("creation_time", d.CreationTime);
        w.WriteNumber("last_updated_time", d.LastUpdatedTime);
        w.WriteNumber("version_count", d.VersionCount);
        if (d.LatestVersion is not null)
        {
            w.WriteString("latest_version", d.LatestVersion);
        }

        w.WriteEndObject();
    }

    private static void WriteVersion(Utf8JsonWriter w, string? property, DatasetVersion v)
    {
        if (property is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(property);
        }

        w.WriteString("name", v.Dataset);
        w.WriteString("id", v.Id);
        w.WriteNumber("number", v.Number);
        if (v.Message is not null)
        {
            w.WriteString("message", v.Message);
        }

        if (v.Author is not null)
        {
            w.WriteString("author", v.Author);
        }

        w.WriteNumber("creation_time", v.CreationTime);
        w.WriteNumber("size_bytes", v.SizeBytes);
        w.WriteNumber("file_count", v.FileCount);
        if (v.RowCount is { } rows)
        {
            w.WriteNumber("row_count", rows);
        }

        if (v.Schema is not null)
        {
            w.WritePropertyName("schema");
            w.WriteRawValue(v.Schema);
        }

        w.WriteString("source", $"keel://datasets/{v.Dataset}@{v.Id}");
        w.WriteBoolean("deleted", v.Deleted);
        w.WriteEndObject();
    }
}
