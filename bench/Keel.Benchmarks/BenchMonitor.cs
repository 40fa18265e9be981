using System.Diagnostics;
using System.Globalization;
using Keel.Core.Inference;
using Keel.Core.Tracking;
using Keel.Data.Profiling;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;
using Keel.Storage.Sql;
using Keel.Tabular;

namespace Keel.Benchmarks;

/// <summary>
/// `monitor RATE SECONDS...`: the monitor's throughput goal of docs/benchmarks.md "Monitor
/// throughput". For each window length it fills a fresh SQLite inference log with RATE records a
/// second over that many seconds (four iris-like features and a label per record, as /invocations
/// logs them), then runs a monitor over the window (count, even sampling to max_rows = 100,000,
/// feedback join, drift against a stored profile, data quality, storing the report) and prints
/// the run's time against the window's length (the monitor keeps up while that ratio is below 1)
/// and the managed heap after it and the working set it added (bounded by max_rows, not traffic).
/// </summary>
internal static class BenchMonitor
{
    public static async Task RunAsync(int rate, IReadOnlyList<int> windows)
    {
        Console.WriteLine("| window | records in window | insert time | monitor run | run / window | rows read | managed heap after run | working set growth during run |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var seconds in windows)
        {
            var folder = Path.Combine(Path.GetTempPath(), "keel-bench-monitor-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            try
            {
                await MeasureAsync(folder, rate, seconds);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task MeasureAsync(string folder, int rate, int seconds)
    {
        var tracking = TrackingStoreFactory.Open("sqlite:///" + Path.Combine(folder, "keel.db"));
        await new TrackingService(tracking, TimeProvider.System, new TrackingOptions()).InitializeAsync(CancellationToken.None);
        var log = TrackingStoreFactory.OpenInferenceLog(tracking);
        var monitoring = TrackingStoreFactory.OpenMonitoring(tracking);
        var end = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var start = end - (seconds * 1000L);
        var total = (long)rate * seconds;
        var random = new Random(7);
        var insert = Stopwatch.StartNew();
        var batch = new List<InferenceRecord>(5000);
        for (long i = 0; i < total; i++)
        {
            var time = start + (i * 1000L / rate);
            var (a, b, c, d) = (4.3 + (random.NextDouble() * 3.6), 2 + (random.NextDouble() * 2.4), 1 + (random.NextDouble() * 5.9), 0.1 + (random.NextDouble() * 2.4));
            batch.Add(new InferenceRecord($"r{i}", "bench", "iris", "1", "primary", false, time, 1.2, 200, null,
                string.Create(CultureInfo.InvariantCulture, $"{{\"sepal_length\":[{a:F1}],\"sepal_width\":[{b:F1}],\"petal_length\":[{c:F1}],\"petal_width\":[{d:F1}]}}"),
                string.Create(CultureInfo.InvariantCulture, $"{{\"predictions\":[{{\"label\":{(int)(c / 2.5)},\"probabilities\":[0.1,0.2,0.7]}}]}}")));
            if (batch.Count == batch.Capacity)
            {
                await log.AppendAsync(batch, CancellationToken.None);
                batch.Clear();
            }
        }

        await log.AppendAsync(batch, CancellationToken.None);
        insert.Stop();

        var service = new MonitorService(monitoring, log, new ProfileReference(), new FixedTime(end));
        await service.CreateAsync("bench", new MonitorSpec
        {
            Deployment = "bench",
            Reference = new MonitorReference { Dataset = "iris" },
            WindowSeconds = seconds,
            ScheduleSeconds = 0,
        }, CancellationToken.None);
        GC.Collect();
        using var before = Process.GetCurrentProcess();
        var workingSetBefore = before.WorkingSet64;
        var run = Stopwatch.StartNew();
        var report = await service.RunAsync("bench", end + 1, CancellationToken.None);
        run.Stop();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {seconds} s | {total:N0} | {insert.Elapsed.TotalSeconds:F1} s | {run.Elapsed.TotalSeconds:F2} s | {run.Elapsed.TotalSeconds / seconds:F4} | {report.Window!.RequestsRead:N0} (every {report.Window.SampledEvery}) | {GC.GetTotalMemory(false) / 1048576.0:F0} MiB | {(self.WorkingSet64 - workingSetBefore) / 1048576.0:F0} MiB |"));
        if (tracking is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>The profile of iris.csv (profiled once) as every monitor's reference.</summary>
    private sealed class ProfileReference : IMonitorReferenceSource
    {
        private static DriftData? _data;

        public async Task<MonitorReferenceData> LoadAsync(MonitorSpec spec, CancellationToken ct)
        {
            if (_data is null)
            {
                var root = AppContext.BaseDirectory;
                while (!Directory.Exists(Path.Combine(root, "shared", "fixtures")) && Path.GetDirectoryName(root) is { } parent)
                {
                    root = parent;
                }

                var profiler = new TableProfiler();
                profiler.Add(await TableReader.ReadAsync(Path.Combine(root, "shared", "fixtures", "iris.csv"), ct));
                _data = DriftData.FromProfile(profiler.Build());
            }

            return new MonitorReferenceData("iris.csv", _data);
        }
    }

    private sealed class FixedTime(long now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(now);
    }
}
