using System.Text.Json;
using System.Threading.Channels;
using Keel.Core.Tracking;
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
            // Reading rows and writing JSON each take about half the time: run them on both cores,
            // the store filling chunks while this thread serialises the previous ones.
            var chunks = Channel.CreateBounded<Metric[]>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
            var producer = Task.Run(() => ProduceChunksAsync(points, chunks.Writer, ct), ct);
            var count = 0;
            Metric? last = null;
            JsonEncodedText? key = null;
            await foreach (var chunk in chunks.Reader.ReadAllAsync(ct))
            {
                foreach (var point in chunk)
                {
                    if (count++ == 0)
                    {
                        w.WriteStartArray("metrics");
                    }

                    key ??= JsonEncodedText.Encode(point.Key);
                    MlflowJson.Metric(w, point, key.Value);
                    last = point;
                }

                await JsonResult.FlushIfLargeAsync(w, ct);
            }

            await producer;
            if (count > 0)
            {
                w.WriteEndArray();
            }

            if (nextToken(last, count) is { } token)
            {
                w.WriteString("next_page_token", token);
            }
        });
    }

    private static async Task ProduceChunksAsync(IAsyncEnumerable<Metric> points, ChannelWriter<Metric[]> writer, CancellationToken ct)
    {
        const int chunkSize = 4096;
        try
        {
            var chunk = new List<Metric>(chunkSize);
            await foreach (var point in points.WithCancellation(ct))
            {
                chunk.Add(point);
                if (chunk.Count == chunkSize)
                {
                    await writer.WriteAsync([.. chunk], ct);
                    chunk.Clear();
                }
            }

            if (chunk.Count > 0)
            {
                await writer.WriteAsync([.. chunk], ct);
            }

            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
        }
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
