using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

// HTTP load for the figures in docs/benchmarks.md. It speaks only MLflow's REST protocol, so the
// same scenario runs against Keel and against MLflow's own server for a side-by-side ratio.
//   Keel.LoadDriver <scenario> --url http://127.0.0.1:5000 [--clients N] [--count N] [--runs N] [--points N] [--models N]
// Scenarios: ingest, runs, seed-search, search, history, seed-registry, registry-search.
var options = Options.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(options.Url),
    Timeout = TimeSpan.FromMinutes(10),
};
var api = new Api(http);
var result = options.Scenario switch
{
    "ingest" => await Scenarios.IngestAsync(api, options),
    "runs" => await Scenarios.RunsAsync(api, options),
    "seed-search" => await Scenarios.SeedSearchAsync(api, options),
    "search" => await Scenarios.SearchAsync(api, options),
    "history" => await Scenarios.HistoryAsync(api, options),
    "seed-registry" => await RegistryScenarios.SeedAsync(api, options),
    "registry-search" => await RegistryScenarios.SearchAsync(api, options),
    _ => throw new ArgumentException($"unknown scenario '{options.Scenario}': ingest | runs | seed-search | search | history | seed-registry | registry-search"),
};
Console.WriteLine(result);
return 0;

internal sealed record Options(string Scenario, string Url, int Clients, int Count, int Runs, int Points, string Experiment, int Models)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        int Int(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new Options(args.Length > 0 ? args[0] : "", Value("--url", "http://127.0.0.1:5000"), Int("--clients", 4), Int("--count", 200),
            Int("--runs", 100_000), Int("--points", 1_000_000), Value("--experiment", "bench"), Int("--models", 10_000));
    }
}

internal sealed class Api(HttpClient http)
{
    public async Task<JsonElement> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("api/2.0/mlflow/" + path, content);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement;
    }

    public async Task<(JsonElement Body, long Bytes)> GetAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync("api/2.0/mlflow/" + pathAndQuery, HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{pathAndQuery}: {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
        }

        return (JsonDocument.Parse(bytes).RootElement, bytes.Length);
    }

    public async Task<long> DrainAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync("api/2.0/mlflow/" + pathAndQuery, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return response.StatusCode == HttpStatusCode.OK ? total : throw new InvalidOperationException($"{pathAndQuery}: {(int)response.StatusCode}");
    }

    public async Task<byte[]> GetBytesAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync("api/2.0/mlflow/" + pathAndQuery, HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK ? bytes : throw new InvalidOperationException($"{pathAndQuery}: {(int)response.StatusCode}");
    }

    public async Task<string> ExperimentAsync(string name)
    {
        try
        {
            return (await PostAsync("experiments/create", Json(new { name }))).GetProperty("experiment_id").GetString()!;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("RESOURCE_ALREADY_EXISTS", StringComparison.Ordinal))
        {
            var (body, _) = await GetAsync("experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(name));
            return body.GetProperty("experiment").GetProperty("experiment_id").GetString()!;
        }
    }

    public async Task<string> CreateRunAsync(string experimentId, long startTime) =>
        (await PostAsync("runs/create", Json(new { experiment_id = experimentId, start_time = startTime })))
            .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;

    public static string Json(object value) => JsonSerializer.Serialize(value);
}

internal static class Scenarios
{
    private static long _clock = 1_700_000_000_000;

    /// <summary>log-batch of 1,000 metrics from N concurrent clients, each on its own run.</summary>
    public static async Task<string> IngestAsync(Api api, Options o)
    {
        var experiment = await api.ExperimentAsync(o.Experiment + "-ingest");
        var runs = await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(i => api.CreateRunAsync(experiment, 1_700_000_000_000 + i)));
        var bodies = runs.Select(run => Enumerable.Range(0, o.Count).Select(b => Batch(run, b)).ToArray()).ToArray();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(runs.Select((_, c) => Task.Run(async () =>
        {
            foreach (var body in bodies[c])
            {
                await api.PostAsync("runs/log-batch", body);
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        var points = (long)o.Clients * o.Count * 1000;
        return $"ingest: {points:N0} metric points in {seconds:F2} s = {points / seconds:N0} points/s ({o.Clients} clients, 1,000 per batch)";

        static string Batch(string run, int b) => Api.Json(new
        {
            run_id = run,
            metrics = Enumerable.Range(0, 1000).Select(i => new { key = $"m{i % 10}", value = (i * 0.001) + b, timestamp = 1_700_000_000_000L + b, step = (b * 100) + (i / 10) }),
        });
    }

    /// <summary>Create a run, then one log-batch of 20 params and 20 metrics; N clients.</summary>
    public static async Task<string> RunsAsync(Api api, Options o)
    {
        var experiment = await api.ExperimentAsync(o.Experiment + "-runs");
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < o.Count; i++)
            {
                await CreateFullRunAsync(api, experiment, (c * o.Count) + i, tags: 0);
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        var runs = o.Clients * o.Count;
        return $"runs: {runs:N0} runs (create + log-batch of 20 params, 20 metrics) in {seconds:F2} s = {runs / seconds:N0} runs/s ({o.Clients} clients)";
    }

    private static async Task CreateFullRunAsync(Api api, string experiment, int n, int tags)
    {
        var run = await api.CreateRunAsync(experiment, Interlocked.Increment(ref _clock));
        var random = new Random(n);
        await api.PostAsync("runs/log-batch", Api.Json(new
        {
            run_id = run,
            @params = Enumerable.Range(0, 20).Select(i => new { key = $"p{i}", value = (random.Next(100) / 100.0).ToString(CultureInfo.InvariantCulture) }),
            metrics = Enumerable.Range(0, 20).Select(i => new { key = $"m{i}", value = random.NextDouble(), timestamp = 1_700_000_000_000L + n, step = 0 }),
            tags = Enumerable.Range(0, tags).Select(i => new { key = $"t{i}", value = $"v{random.Next(10)}" }),
        }));
    }

    /// <summary>Seeds the search corpus: N runs with 20 params, 20 metrics and 5 tags each.</summary>
    public static async Task<string> SeedSearchAsync(Api api, Options o)
    {
        var experiment = await api.ExperimentAsync(o.Experiment + "-search");
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < o.Runs)
            {
                await CreateFullRunAsync(api, experiment, n, tags: 5);
            }
        })));
        return $"seed-search: {o.Runs:N0} runs in {watch.Elapsed.TotalSeconds:F1} s into experiment {experiment}";
    }

    /// <summary>Filter on one metric and one param, order by a metric, page of 100; first and next page.</summary>
    public static async Task<string> SearchAsync(Api api, Options o)
    {
        var (body, _) = await api.GetAsync("experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(o.Experiment + "-search"));
        var experiment = body.GetProperty("experiment").GetProperty("experiment_id").GetString();
        var first = new List<double>();
        var second = new List<double>();
        for (var i = 0; i < o.Count + 5; i++)
        {
            var request = new Dictionary<string, object?>
            {
                ["experiment_ids"] = new[] { experiment },
                ["filter"] = $"metrics.m1 > {0.1 + ((i % 5) * 0.1):F1} and params.p2 = '0.{(i % 9) + 1}'",
                ["order_by"] = new[] { "metrics.m3 DESC" },
                ["max_results"] = 100,
            };
            var watch = Stopwatch.StartNew();
            var page = await api.PostAsync("runs/search", Api.Json(request));
            var firstMs = watch.Elapsed.TotalMilliseconds;
            // With a small corpus (the 200-run comparison) the first page may be the only one.
            var token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
            double? secondMs = null;
            if (token is not null)
            {
                request["page_token"] = token;
                watch.Restart();
                await api.PostAsync("runs/search", Api.Json(request));
                secondMs = watch.Elapsed.TotalMilliseconds;
            }

            if (i >= 5)
            {
                first.Add(firstMs);
                if (secondMs is { } ms)
                {
                    second.Add(ms);
                }
            }
        }

        var next = second.Count == 0 ? "no next page" : $"next page p50 {Percentile(second, 50):F1} ms p99 {Percentile(second, 99):F1} ms";
        return $"search: first page p50 {Percentile(first, 50):F1} ms p99 {Percentile(first, 99):F1} ms; {next} ({o.Count} queries, page of 100)";
    }

    /// <summary>One metric with N points, then the time to fetch its full history.</summary>
    public static async Task<string> HistoryAsync(Api api, Options o)
    {
        var experiment = await api.ExperimentAsync(o.Experiment + "-history");
        var run = await api.CreateRunAsync(experiment, 1_700_000_000_000);
        var batches = o.Points / 1000;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                await api.PostAsync("runs/log-batch", Api.Json(new
                {
                    run_id = run,
                    metrics = Enumerable.Range(0, 1000).Select(i => new { key = "loss", value = 1.0 / ((b * 1000) + i + 1), timestamp = 1_700_000_000_000L + (b * 1000) + i, step = (b * 1000) + i }),
                }));
            }
        })));
        var times = new List<double>();
        long bytes = 0;
        var count = 0;
        var path = $"metrics/get-history?run_id={run}&metric_key=loss";
        for (var i = 0; i < 5; i++)
        {
            // Timed to the last byte of the response, read into one reused buffer: building and
            // parsing an 85 MB document is the client's cost, and it shares these two cores.
            var watch = Stopwatch.StartNew();
            bytes = await api.DrainAsync(path);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        count = JsonDocument.Parse(await api.GetBytesAsync(path)).RootElement.GetProperty("metrics").GetArrayLength();

        return $"history: {count:N0} points ({bytes / 1e6:F1} MB) fetched in median {Percentile(times, 50):F0} ms (min {times.Min():F0}, max {times.Max():F0}, 5 reads)";
    }

    private static double Percentile(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
