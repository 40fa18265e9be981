using System.Globalization;
using Keel.Core.Tracking;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using static Keel.Server.Endpoints.EndpointHelpers;

namespace Keel.Server.Endpoints;

/// <summary>Experiments (reference §2.2, §6.1).</summary>
internal static class ExperimentsEndpoints
{
    public static void MapExperimentsEndpoints(this MlflowRouteTable routes) => routes
        .Post("mlflow/experiments/create", Permission.Authenticated, Create)
        .Get("mlflow/experiments/get", Permission.Read, Get)
        .Get("mlflow/experiments/get-by-name", Permission.Read, GetByName)
        .Post("mlflow/experiments/search", Permission.Authenticated, Search)
        .Get("mlflow/experiments/search", Permission.Authenticated, Search)
        // Removed in MLflow 2.0 but still called by older clients such as npm `mlflow` (reference §9.1).
        .Get("mlflow/experiments/list", Permission.Authenticated, List)
        .Post("mlflow/experiments/update", Permission.Edit, Update)
        .Post("mlflow/experiments/delete", Permission.Manage, Delete)
        .Post("mlflow/experiments/restore", Permission.Manage, Restore)
        .Post("mlflow/experiments/set-experiment-tag", Permission.Edit, SetTag)
        // npm `mlflow` 2.0.7 drops the slash before set-experiment-tag (reference §9.1).
        .Post("mlflow/experimentsset-experiment-tag", Permission.Edit, SetTag)
        .Post("mlflow/experiments/delete-experiment-tag", Permission.Edit, DeleteTag);

    private static async Task<IResult> Create(MlflowRequest r)
    {
        var id = await r.Tracking.CreateExperimentAsync(
            r.Args.RequiredString("name"), r.Args.String("artifact_location"), KeyValues(r.Args, "tags"), r.Ct);
        return JsonResult.Object(w => w.WriteString("experiment_id", id.ToString(CultureInfo.InvariantCulture)));
    }

    private static async Task<IResult> Get(MlflowRequest r)
    {
        var experiment = await r.Tracking.GetExperimentAsync(ParseExperimentId(r.Args.String("experiment_id")), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WritePropertyName("experiment");
            MlflowJson.Experiment(w, experiment);
        });
    }

    private static async Task<IResult> GetByName(MlflowRequest r)
    {
        var experiment = await r.Tracking.GetExperimentByNameAsync(r.Args.String("experiment_name"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WritePropertyName("experiment");
            MlflowJson.Experiment(w, experiment);
        });
    }

    private static async Task<IResult> Search(MlflowRequest r)
    {
        var page = await r.Tracking.SearchExperimentsAsync(
            r.Args.String("filter"), r.Args.Strings("order_by"), ViewType(r.Args, "view_type"),
            r.Args.Int64("max_results"), r.Args.String("page_token"), r.Ct);
        return Experiments(page);
    }

    private static async Task<IResult> List(MlflowRequest r)
    {
        var all = new List<Experiment>();
        string? token = null;
        do
        {
            var page = await r.Tracking.SearchExperimentsAsync(null, [], ViewType(r.Args, "view_type"), null, token, r.Ct);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        return Experiments(new Page<Experiment>(all, null));
    }

    private static JsonResult Experiments(Page<Experiment> page) => JsonResult.Object(w =>
    {
        if (page.Items.Count > 0)
        {
            w.WriteStartArray("experiments");
            foreach (var e in page.Items)
            {
                MlflowJson.Experiment(w, e);
            }

            w.WriteEndArray();
        }

        if (page.NextPageToken is not null)
        {
            w.WriteString("next_page_token", page.NextPageToken);
        }
    });

    private static async Task<IResult> Update(MlflowRequest r)
    {
        await r.Tracking.RenameExperimentAsync(ParseExperimentId(r.Args.String("experiment_id")), r.Args.String("new_name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await r.Tracking.DeleteExperimentAsync(ParseExperimentId(r.Args.String("experiment_id")), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Restore(MlflowRequest r)
    {
        await r.Tracking.RestoreExperimentAsync(ParseExperimentId(r.Args.String("experiment_id")), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> SetTag(MlflowRequest r)
    {
        await r.Tracking.SetExperimentTagAsync(
            ParseExperimentId(r.Args.String("experiment_id")), r.Args.String("key"), r.Args.String("value"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> DeleteTag(MlflowRequest r)
    {
        await r.Tracking.DeleteExperimentTagAsync(ParseExperimentId(r.Args.String("experiment_id")), r.Args.String("key"), r.Ct);
        return JsonResult.Empty;
    }
}
