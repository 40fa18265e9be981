using System.Diagnostics;
using Keel.Data.Profiling;
using Keel.Monitoring.Drift;
using Keel.Tabular;

namespace Keel.Benchmarks;

/// <summary>
/// `drift ROWS`: the drift goal of docs/benchmarks.md "Drift". Twenty numeric features (normal,
/// log-normal, uniform, integer counts), ROWS reference rows and ROWS current rows with half the
/// features shifted, in memory. Times: profiling the reference; the four numerical metrics of all
/// features against the stored profile (JSON round trip included: it is read back as a monitor
/// reads it); and, for comparison, the same against the exact reference sample.
/// </summary>
internal static class BenchDrift
{
    public static void Run(int rows)
    {
        var reference = Make(rows, seed: 1, shift: false);
        var current = Make(rows, seed: 2, shift: true);

        // One warm-up pass on a small slice so the timings below are not JIT.
        Measure(Make(5_000, 3, false), Make(5_000, 4, true), print: false);
        Measure(reference, current, print: true);
    }

    private static void Measure(Table reference, Table current, bool print)
    {
        var watch = Stopwatch.StartNew();
        var profiler = new TableProfiler();
        profiler.Add(reference);
        var json = profiler.Build().ToJson();
        var profileSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        var stored = TableProfile.FromJson(json);
        var parsed = watch.Elapsed.TotalSeconds;
        var currentData = DriftData.FromTable(current);
        var sorted = watch.Elapsed.TotalSeconds;
        var report = DriftEngine.Compare(DriftData.FromProfile(stored), currentData);
        var driftSeconds = watch.Elapsed.TotalSeconds;
        if (print)
        {
            Console.WriteLine(FormattableString.Invariant($"  of which: profile JSON read {parsed:F3} s, current values sorted {sorted - parsed:F3} s, statistics {driftSeconds - sorted:F3} s"));
        }


        watch.Restart();
        var exact = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current));
        var exactSeconds = watch.Elapsed.TotalSeconds;
        if (!print)
        {
            return;
        }

        Console.WriteLine(FormattableString.Invariant($"{reference.RowCount} reference rows, {current.RowCount} current rows, {reference.ColumnCount} numeric features"));
        Console.WriteLine(FormattableString.Invariant($"profile the reference:                {profileSeconds:F3} s"));
        Console.WriteLine(FormattableString.Invariant($"PSI+KS+JS+Wasserstein vs the profile: {driftSeconds:F3} s ({report.DriftedFeatures} of {report.FeatureCount} drifted)"));
        Console.WriteLine(FormattableString.Invariant($"  profile + drift:                    {profileSeconds + driftSeconds:F3} s"));
        Console.WriteLine(FormattableString.Invariant($"the same vs the exact reference:      {exactSeconds:F3} s ({exact.DriftedFeatures} of {exact.FeatureCount} drifted)"));
        var worst = report.Features.Zip(exact.Features).Max(p => Math.Abs(p.First.KsStatistic!.Value - p.Second.KsStatistic!.Value));
        var worstW = report.Features.Zip(exact.Features).Max(p => Math.Abs(p.First.WassersteinNormed!.Value - p.Second.WassersteinNormed!.Value));
        Console.WriteLine(FormattableString.Invariant($"largest difference profile vs exact: KS {worst:E2}, normed Wasserstein {worstW:E2}"));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"peak working set {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB"));
    }

    private static Table Make(int rows, int seed, bool shift)
    {
        var columns = new Column[20];
        Parallel.For(0, columns.Length, f =>
        {
            var random = new Random((seed * 100) + f);
            var values = new double[rows];
            var moved = shift && f % 2 == 0;
            for (var i = 0; i < rows; i++)
            {
                values[i] = (f % 4) switch
                {
                    0 => Normal(random) * (moved ? 1.2 : 1) + (moved ? 0.3 : 0),
                    1 => Math.Exp(Normal(random) * 0.5),
                    2 => (random.NextDouble() * 100) + (moved ? 10 : 0),
                    _ => Math.Floor(-Math.Log(1 - random.NextDouble()) * 20),
                };
            }

            columns[f] = new DoubleColumn($"f{f:D2}", values);
        });
        return new Table(columns);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
