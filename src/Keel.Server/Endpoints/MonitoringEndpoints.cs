using System.Text;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Core.Monitoring;
using Keel.Monitoring.Monitors;
using Keel.Monitoring.Reports;
using Keel.Server.Http;
using Keel.Server.Monitoring;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>
/// Monitoring (issue 7): feedback (delayed ground truth) and monitors — create, change, list,
/// run a window, and read its results, report (JSON or HTML) and metric series.
/// </summary>
internal static class MonitoringEndpoints
{
    public static void MapMonitoringEndpoints(this MlflowRouteTable routes) => routes
        .Post("keel/feedback", Permission.Edit, AddFeedback)
        .Post("keel/monitors", Permission.Manage, Create)
        .Add("PATCH", "keel/monitors", Permission.Manage, Update)
        .Get("keel/monitors", Permission.Read, Get)
        .Add("DELETE", "keel/monitors", Permission.Manage, Delete)
        .Get("keel/monitors/list", Permission.Read, List)
        .Post("keel/monitors/run", Permission.Edit, Run)
        .Get("keel/monitors/results", Permission.Read, Results)
        .Get("keel/monitors/report", Permission.Read, Report)
        .Get("keel/monitors/metrics", Permission.Read, Metrics);

    private static MonitorService Service(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<MonitorService>();

    /// <summary>`feedback`: a list of `{request_id, actual}`; `actual` any JSON value (or an array, one per row the request scored).</summary>
    private static async Task<IResult> AddFeedback(MlflowRequest r)
    {
        var body = r.Args.Body;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("feedback", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw KeelException.Invalid("'feedback' must be a list of {\"request_id\": ..., \"actual\": ...} objects.");
        }

        var items = new List<FeedbackItem>();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("request_id", out var id) || id.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("actual", out var actual) || actual.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                throw KeelException.Invalid($"feedback[{index}] must have a string 'request_id' and a non-null 'actual'.");
            }

            items.Add(new FeedbackItem(id.GetString()!, actual.GetRawText()));
            index++;
        }

        var result = await Service(r).AddFeedbackAsync(items, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteNumber("accepted", result.Accepted);
            w.WriteNumber("replaced", result.Replaced);
            w.WriteNumber("unknown", result.Unknown);
            w.WriteStartArray("unknown_request_ids");
            foreach (var id in result.UnknownRequestIds)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> Create(MlflowRequest r)
    {
        var monitor = await Service(r).CreateAsync(r.Args.RequiredString("name"), Spec(r), r.Ct);
        return Monitor(monitor);
    }

    private static async Task<IResult> Update(MlflowRequest r)
    {
        var monitor = await Service(r).UpdateAsync(r.Args.RequiredString("name"), Spec(r), r.Ct);
        return Monitor(monitor);
    }

    private static async Task<IResult> Get(MlflowRequest r) => Monitor(await Service(r).GetAsync(r.Args.RequiredString("name"), r.Ct));

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await Service(r).DeleteAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> List(MlflowRequest r)
    {
        var monitors = await Service(r).ListAsync(r.Args.String("deployment"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("monitors");
            foreach (var monitor in monitors)
            {
                WriteMonitor(w, monitor);
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Computes a window now (ending at `window_end`, ms, or now) and answers its report.</summary>
    private static async Task<IResult> Run(MlflowRequest r)
    {
        var service = Service(r);
        var name = r.Args.RequiredString("name");
        var report = await service.RunAsync(name, r.Args.Int64("window_end"), r.Ct);
        r.Http.RequestServices.GetRequiredService<MonitorGauges>().Record(await service.GetAsync(name, r.Ct), report);
        return JsonResult.Object(w =>
        {
            w.WritePropertyName("report");
            w.WriteRawValue(report.ToJson());
        });
    }

    private static async Task<IResult> Results(MlflowRequest r)
    {
        var results = await Service(r).ResultsAsync(r.Args.RequiredString("name"), r.Args.Int64("since"), r.Args.Int64("until"), r.Args.Int32("max_results") ?? 100, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("results");
            foreach (var result in results)
            {
                w.WriteStartObject();
                w.WriteNumber("window_start", result.WindowStart);
                w.WriteNumber("window_end", result.WindowEnd);
                w.WriteNumber("computed_time", result.ComputedTime);
                w.WriteNumber("rows", result.Rows);
                w.WriteBoolean("dataset_drift", result.DatasetDrift);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>The stored report of a window (`window_end`, or the latest); `format: html` answers the offline HTML page.</summary>
    private static async Task<IResult> Report(MlflowRequest r)
    {
        var report = await Service(r).ReportAsync(r.Args.RequiredString("name"), r.Args.Int64("window_end"), r.Ct);
        var format = r.Args.String("format");
        if (string.Equals(format, "html", StringComparison.Ordinal))
        {
            return Microsoft.AspNetCore.Http.Results.Text(ReportHtml.Render(report), "text/html", Encoding.UTF8);
        }

        if (format is not (null or "json"))
        {
            throw KeelException.Invalid($"'format' is '{format}'; it is json (the default) or html.");
        }

        return JsonResult.Object(w =>
        {
            w.WritePropertyName("report");
            w.WriteRawValue(report.ToJson());
        });
    }

    /// <summary>The time series: points `{window_end, feature, metric, value}`, oldest first, for one feature or metric when named.</summary>
    private static async Task<IResult> Metrics(MlflowRequest r)
    {
        var points = await Service(r).MetricsAsync(r.Args.RequiredString("name"), r.Args.String("feature"), r.Args.String("metric"),
            r.Args.Int64("since"), r.Args.Int64("until"), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("points");
            foreach (var p in points)
            {
                w.WriteStartObject();
                w.WriteNumber("window_end", p.WindowEnd);
                w.WriteString("feature", p.Feature);
                w.WriteString("metric", p.Metric);
                w.WriteNumber("value", p.Value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>The monitor spec is the request body's `spec` object (MonitorSpec's JSON).</summary>
    private static MonitorSpec Spec(MlflowRequest r) =>
        EndpointHelpers.BodyObject(r, "spec", MonitorSpec.FromJson, "{\"deployment\": ..., \"reference\": {\"dataset\": \"NAME@VERSION\"}, ...}");

    private static IResult Monitor(MonitorView monitor) => JsonResult.Object(w =>
    {
        w.WritePropertyName("monitor");
        WriteMonitor(w, monitor);
    });

    private static void WriteMonitor(Utf8JsonWriter w, MonitorView monitor)
    {
        w.WriteStartObject();
        w.WriteString("name", monitor.Name);
        w.WriteString("deployment", monitor.Deployment);
        w.WritePropertyName("spec");
        w.WriteRawValue(monitor.Spec.ToJson());
        w.WriteNumber("creation_time", monitor.CreationTime);
        w.WriteNumber("last_updated_time", monitor.LastUpdatedTime);
        if (monitor.LastRunTime is { } run)
        {
            w.WriteNumber("last_run_time", run);
        }

        w.WriteEndObject();
    }
}
