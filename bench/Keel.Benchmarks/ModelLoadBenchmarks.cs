using BenchmarkDotNet.Attributes;
using Keel.Client;
using Keel.Client.Models;
using Keel.Server.Hosting;
using Keel.Tabular;
using Microsoft.AspNetCore.Builder;

namespace Keel.Benchmarks;

/// <summary>
/// <c>KeelModel</c> loading of the iris ONNX model by alias from a warm in-process server, through
/// loopback HTTP, to the first prediction: with an empty cache (download, hash, load) and with the
/// cache holding the files (resolve, list, load). Goals: ≤ 200 ms and ≤ 20 ms.
/// </summary>
[MemoryDiagnoser]
public class ModelLoadBenchmarks
{
    private WebApplication _app = null!;
    private KeelClient _client = null!;
    private string _folder = null!;
    private string _cache = null!;
    private Table _rows = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "keel-bench-" + Guid.NewGuid().ToString("N"));
        _cache = Path.Combine(_folder, "cache");
        _app = KeelApp.Build(new KeelOptions { Port = 0, DataDir = Path.Combine(_folder, "data") });
        await _app.StartAsync();
        _client = new KeelClient(KeelApp.BoundAddress(_app));
        var fixtures = FixturesFolder();
        await using (var run = await _client.StartRunAsync("bench-models"))
        {
            await _client.LogOnnxModelAsync(run.RunId, Path.Combine(fixtures, "iris_forest.onnx"), "model",
                new LogModelOptions { RegisteredModelName = "iris" });
        }

        await _client.SetRegisteredModelAliasAsync("iris", "champion", "1");
        _rows = (await TableReader.ReadAsync(Path.Combine(fixtures, "iris.csv"))).DropColumn("species");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [IterationSetup(Target = nameof(Load_by_alias_and_predict_with_an_empty_cache))]
    public void EmptyCache()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public async Task<int> Load_by_alias_and_predict_with_an_empty_cache()
    {
        using var model = await _client.LoadModelAsync("models:/iris@champion", new KeelModelOptions { CacheDirectory = _cache });
        return model.Predict(_rows).RowCount;
    }

    [Benchmark]
    public async Task<int> Load_by_alias_and_predict_from_the_cache()
    {
        using var model = await _client.LoadModelAsync("models:/iris@champion", new KeelModelOptions { CacheDirectory = _cache });
        return model.Predict(_rows).RowCount;
    }

    internal static string FixturesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "..", "shared", "fixtures"), Path.Combine(dir.FullName, "tests", "fixtures", "shared") })
            {
                if (File.Exists(Path.Combine(candidate, "iris_forest.onnx")))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("iris_forest.onnx: run from a checkout (../shared/fixtures or tests/fixtures/shared).");
    }
}
