using Keel.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Endpoints;

/// <summary>Metric histories (reference §2.4).</summary>
internal static class MetricsEndpoints
{
    public static void MapMetricsEndpoints(this MlflowRouteTable routes) => routes
        .Get("mlflow/metrics/get-history", Permission.Read, GetHistory)
        .Get("mlflow/metrics/get-history-bulk-interval", Permission.Read, GetHistoryBulkInterval);

    /// <summary>Streams the history: a million points never sit in memory as objects or text.</summary>
    private static async Task<IResult> GetHistory(MlflowRequest r)
    {
        var (points, nextToken) = await r.Tracking.GetMetricHistoryAsync(
            r.Args.RunId(), r.Args.String("metric_key"), r.Args.Int32("max_results"), r.Args.String("page_token"), r.Ct);
        return JsonResult.Streamed(async (w, ct) =>
        {
            var count = 0;
            await foreach (var point in points.WithCancellation(ct))
            {
                if (count++ == 0)
                {
                    w.WriteStartArray("metrics");
                }

                MlflowJson.Metric(w, point);
                await JsonResult.FlushIfLargeAsync(w, ct);
            }

            if (count > 0)
            {
                w.WriteEndArray();
            }

            if (nextToken(count) is { } token)
            {
                w.WriteString("next_page_token", token);
            }
        });
    }

    private static async Task<IResult> GetHistoryBulkInterval(MlflowRequest r)
    {
        var points = await r.Tracking.GetMetricHistoryBulkIntervalAsync(
            r.Args.Strings("run_ids"), r.Args.String("metric_key"), r.Args.Int64("start_step"), r.Args.Int64("end_step"),
            r.Args.Int32("max_results"), r.Ct);
        return JsonResult.Object(w =>
        {
            if (points.Count == 0)
            {
                return;
            }

            w.WriteStartArray("metrics");
            foreach (var point in points)
            {
                MlflowJson.MetricWithRunId(w, point);
            }

            w.WriteEndArray();
        });
    }
}
