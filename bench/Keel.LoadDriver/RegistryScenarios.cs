using System.Diagnostics;

/// <summary>The registry figures of docs/benchmarks.md: 10,000 models, 100,000 versions, searched.</summary>
internal static class RegistryScenarios
{
    /// <summary>N models (--models, default 10,000), 10 versions each, a tag on every model and version, an alias on every tenth model.</summary>
    public static async Task<string> SeedAsync(Api api, Options o)
    {
        var models = o.Models;
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < models)
            {
                var name = $"model-{n:D5}";
                await api.PostAsync("registered-models/create", Api.Json(new { name, tags = new[] { new { key = "team", value = $"team-{n % 20}" } } }));
                for (var v = 0; v < 10; v++)
                {
                    await api.PostAsync("model-versions/create", Api.Json(new
                    {
                        name,
                        source = $"mlflow-artifacts:/0/run{n:D5}{v}/artifacts/model",
                        run_id = $"run{n:D5}{v}",
                        tags = new[] { new { key = "quality", value = v % 2 == 0 ? "good" : "fair" } },
                    }));
                }

                if (n % 10 == 0)
                {
                    await api.PostAsync("registered-models/alias", Api.Json(new { name, alias = "champion", version = "3" }));
                }
            }
        })));
        return $"seed-registry: {models:N0} models, {models * 10:N0} versions in {watch.Elapsed.TotalSeconds:F1} s";
    }

    /// <summary>Typical registry searches over the seeded corpus (--models), each timed over --count queries after 5 warm-up rounds.</summary>
    public static async Task<string> SearchAsync(Api api, Options o)
    {
        var queries = new (string Name, Func<int, string> Path)[]
        {
            ("registered-models/search (first page of 100, by name)", _ => "registered-models/search?max_results=100"),
            ("registered-models/search name LIKE prefix", i => "registered-models/search?max_results=100&filter=" + Uri.EscapeDataString($"name LIKE 'model-{i % 100:D3}%'")),
            ("registered-models/search tags.team =, by last update", i => "registered-models/search?max_results=100&order_by=last_updated_timestamp+DESC&filter=" + Uri.EscapeDataString($"tags.team = 'team-{i % 20}'")),
            ("model-versions/search name = (10 versions)", i => "model-versions/search?filter=" + Uri.EscapeDataString($"name = 'model-{(i * 37) % o.Models:D5}'")),
            ("model-versions/search run_id =", i => "model-versions/search?filter=" + Uri.EscapeDataString($"run_id = 'run{(i * 37) % o.Models:D5}{i % 10}'")),
            ("model-versions/search (first page of 100, default order)", _ => "model-versions/search?max_results=100"),
            ("model-versions/search tags.quality = 'good' (page of 100)", _ => "model-versions/search?max_results=100&filter=" + Uri.EscapeDataString("tags.quality = 'good'")),
        };
        var lines = new List<string>();
        foreach (var (name, path) in queries)
        {
            var times = new List<double>();
            for (var i = 0; i < o.Count + 5; i++)
            {
                var watch = Stopwatch.StartNew();
                await api.GetAsync(path(i));
                if (i >= 5)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            times.Sort();
            lines.Add($"  {name}: p50 {times[times.Count / 2]:F1} ms, p99 {times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.99) - 1)]:F1} ms");
        }

        return $"registry-search ({o.Count} queries each):\n" + string.Join('\n', lines);
    }
}
