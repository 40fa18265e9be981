using System.Diagnostics;
using System.Globalization;
using Keel.Client;
using Keel.Server.Hosting;
using Microsoft.Playwright;

namespace Keel.Benchmarks;

/// <summary>
/// `ui-runs RUNS`: the runs-table goal of docs/benchmarks.md "Web UI". A keel server in this
/// process on a fresh SQLite folder, one experiment with RUNS runs (three params, three metrics
/// each, created over the REST API), then headless Chromium (Debian's, through Playwright) opens
/// the experiment's page five times, each in a fresh browser context; the figure is the time
/// from navigation to the first page's 50 rows in the table.
/// </summary>
internal static class BenchUi
{
    public static async Task RunAsync(int runs)
    {
        var folder = Path.Combine(Path.GetTempPath(), "keel-bench-ui-" + Guid.NewGuid().ToString("N")[..8]);
        await using var app = KeelApp.Build(new KeelOptions { Port = 0, DataDir = folder });
        await app.StartAsync();
        try
        {
            var address = KeelApp.BoundAddress(app);
            using var client = new KeelClient(address);
            var experimentId = await client.CreateExperimentAsync("ui-bench");
            var fill = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var run = await client.CreateRunAsync(experimentId, $"run-{i:D5}", cancellationToken: ct);
                var now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i);
                await client.LogBatchAsync(run.Info.RunId,
                    [new Client.Metric("accuracy", 0.5 + (i % 500 / 1000.0), now, 0), new Client.Metric("loss", 1.0 / (1 + i), now, 0), new Client.Metric("f1", i % 97 / 100.0, now, 0)],
                    [new Client.KeyValue("model", i % 2 == 0 ? "tree" : "linear"), new Client.KeyValue("depth", (i % 12).ToString(CultureInfo.InvariantCulture)), new Client.KeyValue("seed", i.ToString(CultureInfo.InvariantCulture))],
                    cancellationToken: ct);
            });
            Console.WriteLine(FormattableString.Invariant($"created {runs} runs in {fill.Elapsed.TotalSeconds:F1} s"));

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            var times = new List<double>();
            for (var round = 0; round < 6; round++)
            {
                await using var context = await browser.NewContextAsync();
                var page = await context.NewPageAsync();
                var watch = Stopwatch.StartNew();
                await page.GotoAsync(new Uri(address, $"/#/experiments/{experimentId}").ToString());
                await page.Locator("table[aria-label=Runs] tbody tr").Nth(49).WaitForAsync();
                watch.Stop();
                if (round > 0)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds); // round 0 warms the server and the browser
                }
            }

            times.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"first page of the runs table ({runs} runs): median {times[times.Count / 2]:F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms over {times.Count} navigations"));
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
