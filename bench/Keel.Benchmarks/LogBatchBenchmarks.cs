using BenchmarkDotNet.Attributes;
using Keel.Core.Tracking;
using Keel.Storage.Sql;

namespace Keel.Benchmarks;

/// <summary>
/// The write path behind runs/log-batch on SQLite, without HTTP: what one batch of 1,000 metrics
/// costs the single writer, against a batch of 20 params + 20 metrics (the "runs" workload).
/// </summary>
[MemoryDiagnoser]
public class LogBatchBenchmarks
{
    private ITrackingStore _store = null!;
    private TrackingService _tracking = null!;
    private string _folder = null!;
    private string _runId = null!;
    private int _batch;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "keel-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _store = TrackingStoreFactory.Open("sqlite:///" + Path.Combine(_folder, "bench.db"));
        _tracking = new TrackingService(_store, TimeProvider.System, new TrackingOptions());
        await _tracking.InitializeAsync(CancellationToken.None);
        _runId = (await _tracking.CreateRunAsync(0, "bench", "bench", 1, [], CancellationToken.None)).Info.RunId;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await ((IAsyncDisposable)_store).DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task Batch_of_20_params_and_20_metrics_on_a_new_run() => NewRunBatchAsync();

    private async Task NewRunBatchAsync()
    {
        var b = Interlocked.Increment(ref _batch);
        var run = await _tracking.CreateRunAsync(0, "bench", null, b, [], CancellationToken.None);
        await _tracking.LogBatchAsync(run.Info.RunId, new RunBatch(
            Enumerable.Range(0, 20).Select(i => new Metric($"m{i}", i * 0.5, b, 0)).ToList(),
            Enumerable.Range(0, 20).Select(i => new KeyValue($"p{i}", "0.5")).ToList(),
            []), CancellationToken.None);
    }

    [Benchmark]
    public Task Batch_of_1000_metrics()
    {
        var b = Interlocked.Increment(ref _batch);
        return _tracking.LogBatchAsync(_runId, new RunBatch(
            Enumerable.Range(0, 1000).Select(i => new Metric($"m{i % 10}", i * 0.5, b, (b * 100) + (i / 10))).ToList(), [], []), CancellationToken.None);
    }
}
