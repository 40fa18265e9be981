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
///
/// `ui-chart POINTS`: the metric-chart goal. One run with a `loss` history of POINTS steps (logged
/// in batches of 1,000), then its page opened five times with the chart of `loss`; the figure is
/// the time from navigation to the drawn chart (history fetched, parsed and drawn by uPlot).
/// </summary>
internal static class BenchUi
{
    public static Task RunAsync(int runs) => WithServerAsync(async (address, client, browser) =>
    {
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

        var times = await NavigateAsync(browser, new Uri(address, $"/#/experiments/{experimentId}"),
            page => page.Locator("table[aria-label=Runs] tbody tr").Nth(49).WaitForAsync());
        Console.WriteLine(FormattableString.Invariant(
            $"first page of the runs table ({runs} runs): median {times[times.Count / 2]:F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms over {times.Count} navigations"));
    });

    public static Task ChartAsync(int points) => WithServerAsync(async (address, client, browser) =>
    {
        var run = await client.CreateRunAsync(await client.CreateExperimentAsync("ui-chart-bench"), "long-training");
        var fill = Stopwatch.StartNew();
        var start = 1_700_000_000_000L;
        for (var from = 0; from < points; from += 1000)
        {
            var batch = Enumerable.Range(from, Math.Min(1000, points - from))
                .Select(i => new Client.Metric("loss", (1.0 / (1 + (i / 100.0))) + (0.05 * Math.Sin(i)), DateTimeOffset.FromUnixTimeMilliseconds(start + (i * 10L)), i))
                .ToList();
            await client.LogBatchAsync(run.Info.RunId, metrics: batch);
        }

        Console.WriteLine(FormattableString.Invariant($"logged {points} points in {fill.Elapsed.TotalSeconds:F1} s"));
        var renders = new List<double>();
        var fetches = new List<double>();
        var chart = $"figure[aria-label=loss][data-ready=true][data-points='{points}']";
        var times = await NavigateAsync(browser, new Uri(address, $"/#/runs/{run.Info.RunId}?metric=loss"), async page =>
        {
            await page.Locator(chart).WaitForAsync(new() { Timeout = 60_000 });
            renders.Add(double.Parse(await page.Locator(chart).GetAttributeAsync("data-render-ms") ?? "0", CultureInfo.InvariantCulture));
            fetches.Add(double.Parse(await page.Locator("#metric-chart").GetAttributeAsync("data-fetch-ms") ?? "0", CultureInfo.InvariantCulture));
        });
        renders.Sort();
        fetches.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"metric chart of {points} points: median {times[times.Count / 2]:F0} ms from navigation to the drawn chart (min {times[0]:F0}, max {times[^1]:F0}) over {times.Count} navigations; of which fetching the history {fetches[fetches.Count / 2]:F0} ms and drawing {renders[renders.Count / 2]:F0} ms (medians, the warm-up included)"));
    });

    /// <summary>Opens the URL six times in fresh browser contexts; the first warms up; returns the other five times, sorted (ms).</summary>
    private static async Task<List<double>> NavigateAsync(IBrowser browser, Uri url, Func<IPage, Task> ready)
    {
        var times = new List<double>();
        for (var round = 0; round < 6; round++)
        {
            await using var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            page.PageError += (_, error) => Console.Error.WriteLine("page error: " + error);
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(url.ToString());
            try
            {
                await ready(page);
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine("the page shows: " + await page.Locator("body").InnerTextAsync());
                throw;
            }

            watch.Stop();
            if (round > 0)
            {
                times.Add(watch.Elapsed.TotalMilliseconds); // round 0 warms the server and the browser
            }
        }

        times.Sort();
        return times;
    }

    private static async Task WithServerAsync(Func<Uri, KeelClient, IBrowser, Task> body)
    {
        var folder = Path.Combine(Path.GetTempPath(), "keel-bench-ui-" + Guid.NewGuid().ToString("N")[..8]);
        await using var app = KeelApp.Build(new KeelOptions { Port = 0, DataDir = folder });
        await app.StartAsync();
        try
        {
            var address = KeelApp.BoundAddress(app);
            using var client = new KeelClient(address);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            await body(address, client, browser);
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
