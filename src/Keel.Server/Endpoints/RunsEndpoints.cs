using Keel.Core.Errors;
using Keel.Core.Tracking;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using static Keel.Server.Endpoints.EndpointHelpers;

namespace Keel.Server.Endpoints;

/// <summary>Runs and what is logged to them (reference §2.3, §6.2).</summary>
internal static class RunsEndpoints
{
    public static void MapRunsEndpoints(this MlflowRouteTable routes) => routes
        .Post("mlflow/runs/create", Permission.Edit, Create)
        .Post("mlflow/runs/update", Permission.Edit, Update)
        .Post("mlflow/runs/delete", Permission.Edit, Delete)
        .Post("mlflow/runs/restore", Permission.Edit, Restore)
        .Get("mlflow/runs/get", Permission.Read, Get)
        .Post("mlflow/runs/search", Permission.Read, Search)
        .Post("mlflow/runs/log-metric", Permission.Edit, LogMetric)
        .Post("mlflow/runs/log-parameter", Permission.Edit, LogParam)
        .Post("mlflow/runs/set-tag", Permission.Edit, SetTag)
        .Post("mlflow/runs/delete-tag", Permission.Edit, DeleteTag)
        .Post("mlflow/runs/log-batch", Permission.Edit, LogBatch)
        .Post("mlflow/runs/log-inputs", Permission.Edit, LogInputs)
        .Post("mlflow/runs/log-model", Permission.Edit, LogModel);

    private static async Task<IResult> Create(MlflowRequest r)
    {
        var experimentId = r.Args.String("experiment_id") is { Length: > 0 } id ? ParseExperimentId(id) : 0;
        var run = await r.Tracking.CreateRunAsync(
            experimentId, r.Args.String("user_id"), r.Args.String("run_name"), r.Args.Int64("start_time"), KeyValues(r.Args, "tags"), r.Ct);
        return RunResult(run);
    }

    private static async Task<IResult> Get(MlflowRequest r) => RunResult(await r.Tracking.GetRunAsync(r.Args.RunId(), r.Ct));

    private static JsonResult RunResult(Run run) => JsonResult.Object(w =>
    {
        w.WritePropertyName("run");
        MlflowJson.Run(w, run);
    });

    private static async Task<IResult> Update(MlflowRequest r)
    {
        var info = await r.Tracking.UpdateRunAsync(
            r.Args.RunId(), r.Args.Enum<RunStatus>("status"), r.Args.Int64("end_time"), r.Args.String("run_name"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WritePropertyName("run_info");
            MlflowJson.RunInfo(w, info);
        });
    }

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await r.Tracking.DeleteRunAsync(r.Args.RunId(), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Restore(MlflowRequest r)
    {
        await r.Tracking.RestoreRunAsync(r.Args.RunId(), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Search(MlflowRequest r)
    {
        var experimentIds = r.Args.Strings("experiment_ids").Select(id => ParseExperimentId(id, "experiment_ids")).ToList();
        var page = await r.Tracking.SearchRunsAsync(
            experimentIds, r.Args.String("filter"), r.Args.Strings("order_by"), ViewType(r.Args, "run_view_type"),
            r.Args.Int64("max_results"), r.Args.String("page_token"), r.Ct);
        return JsonResult.Object(w =>
        {
            if (page.Items.Count > 0)
            {
                w.WriteStartArray("runs");
                foreach (var run in page.Items)
                {
                    MlflowJson.Run(w, run);
                }

                w.WriteEndArray();
            }

            if (page.NextPageToken is not null)
            {
                w.WriteString("next_page_token", page.NextPageToken);
            }
        });
    }

    private static async Task<IResult> LogMetric(MlflowRequest r)
    {
        await r.Tracking.LogMetricAsync(r.Args.RunId(), r.Args.Metric(), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> LogParam(MlflowRequest r)
    {
        await r.Tracking.LogParamAsync(r.Args.RunId(), new KeyValue(r.Args.RequiredString("key"), r.Args.String("value") ?? string.Empty), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> SetTag(MlflowRequest r)
    {
        await r.Tracking.SetTagAsync(r.Args.RunId(), new KeyValue(r.Args.RequiredString("key"), r.Args.String("value") ?? string.Empty), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> DeleteTag(MlflowRequest r)
    {
        await r.Tracking.DeleteTagAsync(r.Args.RunId(), r.Args.String("key"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> LogBatch(MlflowRequest r)
    {
        var runId = r.Args.RequiredString("run_id");
        var metrics = r.Args.Metrics("metrics");
        await r.Tracking.LogBatchAsync(runId, new RunBatch(metrics, KeyValues(r.Args, "params"), KeyValues(r.Args, "tags")), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> LogInputs(MlflowRequest r)
    {
        var inputs = r.Args.Objects("datasets").Select((d, i) =>
        {
            var dataset = d.Object("dataset") ?? throw KeelException.Missing($"datasets[{i}].dataset");
            return new DatasetInput(
                new Dataset(
                    dataset.String("name") ?? string.Empty,
                    dataset.String("digest") ?? string.Empty,
                    dataset.String("source_type") ?? string.Empty,
                    dataset.String("source") ?? string.Empty,
                    dataset.String("schema"),
                    dataset.String("profile")),
                d.Objects("tags").Select(t => new KeyValue(t.String("key") ?? string.Empty, t.String("value") ?? string.Empty)).ToList());
        }).ToList();
        await r.Tracking.LogInputsAsync(r.Args.RequiredString("run_id"), inputs, r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> LogModel(MlflowRequest r)
    {
        await r.Tracking.LogModelAsync(r.Args.RunId(), r.Args.String("model_json"), r.Ct);
        return JsonResult.Empty;
    }
}
