using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Reliability;

public sealed class CrashConsistencyTests
{
    private const int PointsPerBatch = 200;

    [Fact]
    public async Task Every_acknowledged_batch_survives_SIGKILL_in_full_and_no_batch_is_stored_in_part()
    {
        using var folder = new TempDirectory();
        var runs = new List<string>();
        var acknowledged = new ConcurrentDictionary<(string Run, int Batch), bool>();
        await using (var server = await ServerProcess.StartAsync(folder.Path))
        {
            using var http = new HttpClient { BaseAddress = server.BaseUri };
            for (var i = 0; i < 4; i++)
            {
                var created = await MlflowHttp.PostAsync(http, "runs/create", new { experiment_id = "0", start_time = 1 });
                runs.Add(created.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!);
            }

            using var stop = new CancellationTokenSource();
            var clients = runs.Select(run => Task.Run(async () =>
            {
                for (var batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    try
                    {
                        using var response = await http.PostAsJsonAsync("api/2.0/mlflow/runs/log-batch", Batch(run, batch), CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            acknowledged[(run, batch)] = true;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // The server died under us: this batch was never acknowledged.
                    }
                }
            })).ToList();

            // Let the clients get going, then pull the plug while batches are in flight.
            while (acknowledged.Count < 40)
            {
                await Task.Delay(20);
            }

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }

        await using var restarted = await ServerProcess.StartAsync(folder.Path);
        using var client = new HttpClient { BaseAddress = restarted.BaseUri };
        foreach (var run in runs)
        {
            var history = await client.GetFromJsonAsync<JsonElement>($"api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=loss");
            var stored = history.TryGetProperty("metrics", out var metrics)
                ? metrics.EnumerateArray().GroupBy(m => (int)(m.GetProperty("step").GetInt64() / PointsPerBatch)).ToDictionary(g => g.Key, g => g.Count())
                : [];
            foreach (var (batch, count) in stored)
            {
                Assert.True(count == PointsPerBatch, $"run {run} batch {batch} is stored in part: {count} of {PointsPerBatch} points");
            }

            foreach (var (key, _) in acknowledged.Where(a => a.Key.Run == run))
            {
                Assert.True(stored.ContainsKey(key.Batch), $"run {run} batch {key.Batch} got a 200 but is missing after the restart");
            }
        }

        Assert.True(acknowledged.Count >= 40);
    }

    private static object Batch(string run, int batch) => new
    {
        run_id = run,
        metrics = Enumerable.Range(0, PointsPerBatch).Select(i => new { key = "loss", value = i * 0.5, timestamp = 1_700_000_000_000L + i, step = ((long)batch * PointsPerBatch) + i }),
        @params = new[] { new { key = $"batch-{batch}", value = "sent" } },
    };
}
