using Keel.Core.Registry;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using static Keel.Server.Endpoints.EndpointHelpers;

namespace Keel.Server.Endpoints;

/// <summary>Registered models, aliases and Keel's alias/stage history (reference §3.2, §3.3).</summary>
internal static class RegisteredModelsEndpoints
{
    public static void MapRegisteredModelsEndpoints(this MlflowRouteTable routes) => routes
        .Post("mlflow/registered-models/create", Permission.Authenticated, Create)
        .Post("mlflow/registered-models/rename", Permission.Manage, Rename)
        .Add("PATCH", "mlflow/registered-models/update", Permission.Edit, Update)
        .Add("DELETE", "mlflow/registered-models/delete", Permission.Manage, Delete)
        .Get("mlflow/registered-models/get", Permission.Read, Get)
        .Get("mlflow/registered-models/search", Permission.Authenticated, Search)
        .Post("mlflow/registered-models/get-latest-versions", Permission.Read, GetLatestVersions)
        .Get("mlflow/registered-models/get-latest-versions", Permission.Read, GetLatestVersions)
        .Post("mlflow/registered-models/set-tag", Permission.Edit, SetTag)
        .Add("DELETE", "mlflow/registered-models/delete-tag", Permission.Edit, DeleteTag)
        .Post("mlflow/registered-models/alias", Permission.Manage, SetAlias)
        .Add("DELETE", "mlflow/registered-models/alias", Permission.Manage, DeleteAlias)
        .Get("mlflow/registered-models/alias", Permission.Read, GetByAlias)
        // Beyond MLflow: every alias move and stage transition (mlflow#2169).
        .Get("keel/registered-models/alias-history", Permission.Read, History);

    private static async Task<IResult> Create(MlflowRequest r) => Model(await r.Registry.CreateRegisteredModelAsync(
        r.Args.RequiredString("name"), r.Args.String("description"), KeyValues(r.Args, "tags"), r.Ct));

    private static async Task<IResult> Rename(MlflowRequest r) => Model(await r.Registry.RenameRegisteredModelAsync(
        r.Args.RequiredString("name"), r.Args.RequiredString("new_name"), r.Ct));

    private static async Task<IResult> Update(MlflowRequest r) => Model(await r.Registry.UpdateRegisteredModelAsync(
        r.Args.RequiredString("name"), r.Args.String("description"), r.Ct));

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await r.Registry.DeleteRegisteredModelAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Get(MlflowRequest r) =>
        Model(await r.Registry.GetRegisteredModelAsync(r.Args.RequiredString("name"), r.Ct));

    private static async Task<IResult> Search(MlflowRequest r)
    {
        var page = await r.Registry.SearchRegisteredModelsAsync(
            r.Args.String("filter"), r.Args.Strings("order_by"), r.Args.Int64("max_results"), r.Args.String("page_token"), r.Ct);
        return JsonResult.Object(w =>
        {
            if (page.Items.Count > 0)
            {
                w.WriteStartArray("registered_models");
                foreach (var m in page.Items)
                {
                    MlflowRegistryJson.RegisteredModel(w, m);
                }

                w.WriteEndArray();
            }

            if (page.NextPageToken is not null)
            {
                w.WriteString("next_page_token", page.NextPageToken);
            }
        });
    }

    private static async Task<IResult> GetLatestVersions(MlflowRequest r) =>
        ModelVersionsEndpoints.Versions(await r.Registry.GetLatestVersionsAsync(r.Args.RequiredString("name"), r.Args.Strings("stages"), r.Ct), null);

    private static async Task<IResult> SetTag(MlflowRequest r)
    {
        await r.Registry.SetRegisteredModelTagAsync(r.Args.RequiredString("name"), r.Args.RequiredString("key"), r.Args.String("value"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> DeleteTag(MlflowRequest r)
    {
        await r.Registry.DeleteRegisteredModelTagAsync(r.Args.RequiredString("name"), r.Args.RequiredString("key"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> SetAlias(MlflowRequest r)
    {
        await r.Registry.SetAliasAsync(r.Args.RequiredString("name"), r.Args.RequiredString("alias"), r.Args.RequiredString("version"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> DeleteAlias(MlflowRequest r)
    {
        await r.Registry.DeleteAliasAsync(r.Args.RequiredString("name"), r.Args.RequiredString("alias"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> GetByAlias(MlflowRequest r) =>
        ModelVersionsEndpoints.Version(await r.Registry.GetModelVersionByAliasAsync(r.Args.RequiredString("name"), r.Args.RequiredString("alias"), r.Ct));

    private static async Task<IResult> History(MlflowRequest r)
    {
        var history = await r.Registry.GetHistoryAsync(r.Args.RequiredString("name"), r.Args.String("alias"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("history");
            foreach (var change in history)
            {
                MlflowRegistryJson.Change(w, change);
            }

            w.WriteEndArray();
        });
    }

    private static JsonResult Model(RegisteredModel model) => JsonResult.Object(w =>
    {
        w.WritePropertyName("registered_model");
        MlflowRegistryJson.RegisteredModel(w, model);
    });
}
