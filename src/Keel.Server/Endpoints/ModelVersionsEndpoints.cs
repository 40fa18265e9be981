using Keel.Core.Registry;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using static Keel.Server.Endpoints.EndpointHelpers;

namespace Keel.Server.Endpoints;

/// <summary>Model versions (reference §3.2, §3.3).</summary>
internal static class ModelVersionsEndpoints
{
    public static void MapModelVersionsEndpoints(this MlflowRouteTable routes) => routes
        .Post("mlflow/model-versions/create", Permission.Edit, Create)
        .Get("mlflow/model-versions/get", Permission.Read, Get)
        .Add("PATCH", "mlflow/model-versions/update", Permission.Edit, Update)
        .Add("DELETE", "mlflow/model-versions/delete", Permission.Manage, Delete)
        .Get("mlflow/model-versions/search", Permission.Authenticated, Search)
        .Post("mlflow/model-versions/transition-stage", Permission.Manage, TransitionStage)
        .Get("mlflow/model-versions/get-download-uri", Permission.Read, GetDownloadUri)
        .Post("mlflow/model-versions/set-tag", Permission.Edit, SetTag)
        .Add("DELETE", "mlflow/model-versions/delete-tag", Permission.Edit, DeleteTag);

    private static async Task<IResult> Create(MlflowRequest r) => Version(await r.Registry.CreateModelVersionAsync(
        r.Args.RequiredString("name"), r.Args.RequiredString("source"), r.Args.String("run_id"), KeyValues(r.Args, "tags"),
        r.Args.String("run_link"), r.Args.String("description"), r.Ct));

    private static async Task<IResult> Get(MlflowRequest r) =>
        Version(await r.Registry.GetModelVersionAsync(r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Ct));

    private static async Task<IResult> Update(MlflowRequest r) => Version(await r.Registry.UpdateModelVersionAsync(
        r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Args.String("description"), r.Ct));

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await r.Registry.DeleteModelVersionAsync(r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Search(MlflowRequest r)
    {
        var page = await r.Registry.SearchModelVersionsAsync(
            r.Args.String("filter"), r.Args.Strings("order_by"), r.Args.Int64("max_results"), r.Args.String("page_token"), r.Ct);
        return Versions(page.Items, page.NextPageToken);
    }

    private static async Task<IResult> TransitionStage(MlflowRequest r) => Version(await r.Registry.TransitionStageAsync(
        r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Args.RequiredString("stage"),
        r.Args.Bool("archive_existing_versions") ?? false, r.Ct));

    private static async Task<IResult> GetDownloadUri(MlflowRequest r)
    {
        var uri = await r.Registry.GetDownloadUriAsync(r.Args.String("name"), r.Args.String("version"), r.Ct);
        return JsonResult.Object(w => w.WriteString("artifact_uri", uri));
    }

    private static async Task<IResult> SetTag(MlflowRequest r)
    {
        await r.Registry.SetModelVersionTagAsync(
            r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Args.RequiredString("key"), r.Args.String("value"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> DeleteTag(MlflowRequest r)
    {
        await r.Registry.DeleteModelVersionTagAsync(
            r.Args.RequiredString("name"), r.Args.RequiredString("version"), r.Args.RequiredString("key"), r.Ct);
        return JsonResult.Empty;
    }

    public static JsonResult Version(ModelVersion version) => JsonResult.Object(w =>
    {
        w.WritePropertyName("model_version");
        MlflowRegistryJson.ModelVersion(w, version);
    });

    public static JsonResult Versions(IReadOnlyList<ModelVersion> versions, string? nextPageToken) => JsonResult.Object(w =>
    {
        if (versions.Count > 0)
        {
            w.WriteStartArray("model_versions");
            foreach (var v in versions)
            {
                MlflowRegistryJson.ModelVersion(w, v);
            }

            w.WriteEndArray();
        }

        if (nextPageToken is not null)
        {
            w.WriteString("next_page_token", nextPageToken);
        }
    });
}
