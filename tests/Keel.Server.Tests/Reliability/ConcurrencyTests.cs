using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Reliability;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Fifty_concurrent_clients_creating_runs_and_logging_to_one_run_lose_no_write_and_never_see_a_lock_error()
    {
        await using var server = await KeelServer.StartAsync();
        using var http = server.CreateClient();
        var shared = (await MlflowHttp.PostAsync(http, "runs/create", new { experiment_id = "0" })).GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        var failures = new List<string>();
        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(client => Task.Run(async () =>
        {
            var own = new List<string>();
            for (var i = 0; i < 10; i++)
            {
                using var create = await http.PostAsJsonAsync("api/2.0/mlflow/runs/create", new { experiment_id = "0", run_name = $"c{client}-{i}" });
                var body = await create.Content.ReadAsStringAsync();
                if (create.StatusCode != HttpStatusCode.OK)
                {
                    lock (failures)
                    {
                        failures.Add(body);
                    }

                    continue;
                }

                own.Add(JsonDocument.Parse(body).RootElement.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!);
                using var log = await http.PostAsJsonAsync("api/2.0/mlflow/runs/log-batch", new
                {
                    run_id = shared,
                    metrics = new[] { new { key = "throughput", value = (double)i, timestamp = 1L + i, step = (long)((client * 10) + i) } },
                    @params = new[] { new { key = $"client-{client}-{i}", value = "x" } },
                    tags = new[] { new { key = $"tag-{client}", value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
                });
                if (log.StatusCode != HttpStatusCode.OK)
                {
                    var error = await log.Content.ReadAsStringAsync();
                    lock (failures)
                    {
                        failures.Add(error);
                    }
                }
            }

            return own;
        })));

        Assert.Empty(failures);
        var run = (await http.GetFromJsonAsync<JsonElement>($"api/2.0/mlflow/runs/get?run_id={shared}")).GetProperty("run");
        Assert.Equal(500, run.GetProperty("data").GetProperty("params").GetArrayLength());
        Assert.Equal(51, run.GetProperty("data").GetProperty("tags").GetArrayLength()); // 50 client tags + mlflow.runName
        Assert.All(run.GetProperty("data").GetProperty("tags").EnumerateArray().Where(t => t.GetProperty("key").GetString()!.StartsWith("tag-", StringComparison.Ordinal)),
            t => Assert.Equal("9", t.GetProperty("value").GetString()));
        var history = await http.GetFromJsonAsync<JsonElement>($"api/2.0/mlflow/metrics/get-history?run_id={shared}&metric_key=throughput");
        Assert.Equal(500, history.GetProperty("metrics").GetArrayLength());

        var search = await MlflowHttp.PostAsync(http, "runs/search", new { experiment_ids = new[] { "0" }, max_results = 1000 });
        var found = search.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_id").GetString()).ToHashSet();
        Assert.All(created.SelectMany(c => c), id => Assert.Contains(id, found));
        Assert.Equal(501, found.Count);
    }
}
