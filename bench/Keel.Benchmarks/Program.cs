using System.Diagnostics;
using BenchmarkDotNet.Running;
using Keel.Client;
using Keel.Tabular;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

// `first-load URL MODEL_URI CSV CACHE_DIR`: a KeelModel load and first prediction in this fresh
// process (JIT, HTTP stack and ONNX Runtime start-up included: what a user's program sees), then a
// second load in the same process. Anything else goes to BenchmarkDotNet.
if (args is ["first-load", var url, var modelUri, var csv, var cache])
{
    var rows = (await TableReader.ReadAsync(csv)).DropColumn("species");
    var watch = Stopwatch.StartNew();
    using var client = new KeelClient(new Uri(url));
    using (var model = await client.LoadModelAsync(modelUri, new Keel.Client.Models.KeelModelOptions { CacheDirectory = cache }))
    {
        Console.WriteLine($"first-load, fresh process: {watch.Elapsed.TotalMilliseconds:F0} ms from LoadModelAsync to the first prediction ({model.Predict(rows).RowCount} rows)");
    }

    // The same process again: HTTP stack, ONNX Runtime and Keel's code are warm; the files come
    // from the cache the first load filled.
    watch.Restart();
    using (var model = await client.LoadModelAsync(modelUri, new Keel.Client.Models.KeelModelOptions { CacheDirectory = cache }))
    {
        Console.WriteLine($"second load, same process (cached): {watch.Elapsed.TotalMilliseconds:F1} ms to the first prediction ({model.Predict(rows).RowCount} rows)");
    }

    return;
}

// `log-onnx URL ONNX_FILE NAME ALIAS`: logs and registers an ONNX model for `first-load`.
if (args is ["log-onnx", var server, var onnx, var name, var alias])
{
    using var client = new KeelClient(new Uri(server));
    await using var run = await client.StartRunAsync("bench-models");
    var logged = await client.LogOnnxModelAsync(run.RunId, onnx, "model", new Keel.Client.Models.LogModelOptions { RegisteredModelName = name });
    await client.SetRegisteredModelAliasAsync(name, alias, logged.RegisteredVersion!.Version);
    Console.WriteLine($"models:/{name}@{alias} → version {logged.RegisteredVersion.Version}");
    return;
}

// `bare PORT`: the comparison endpoint of the serving goal — a bare ASP.NET Core app (the same slim
// builder, Kestrel and logging setup as Keel, nothing else) answering a constant JSON body.
if (args is ["bare", var barePort])
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, int.Parse(barePort, System.Globalization.CultureInfo.InvariantCulture)));
    var app = builder.Build();
    var body = "{\"predictions\": [0, 1]}"u8.ToArray();
    app.MapPost("/invocations", async context =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body);
    });
    Console.WriteLine($"bare endpoint on http://127.0.0.1:{barePort}/invocations");
    await app.RunAsync();
    return;
}

// `dense-onnx FILE HIDDEN`: writes an ONNX model whose call dominates a small request, for the
// micro-batching comparison of bench/serve-bench.sh: iris's input [N, 4] through two hidden layers
// of HIDDEN units (MatMul, Add, Relu; seeded random weights) to `probabilities` [N, 3] (Softmax)
// and `label` [N] (ArgMax). Its middle weights are HIDDEN² floats (16 MiB at 2,048), read whole on
// every call however few rows it has; a batch of requests reads them once.
if (args is ["dense-onnx", var densePath, var hiddenText])
{
    var hidden = int.Parse(hiddenText, System.Globalization.CultureInfo.InvariantCulture);
    var random = new Random(11);
    float[] Weights(int rows, int columns) => [.. Enumerable.Range(0, rows * columns).Select(_ => (float)((random.NextDouble() - 0.5) * 2 / Math.Sqrt(rows)))];
    var builder = new Keel.Serving.Tests.Support.OnnxModelBuilder()
        .Input("input", Keel.Serving.Tests.Support.OnnxModelBuilder.Float, -1, 4)
        .Output("label", Keel.Serving.Tests.Support.OnnxModelBuilder.Int64, -1)
        .Output("probabilities", Keel.Serving.Tests.Support.OnnxModelBuilder.Float, -1, 3)
        .FloatInitializer("w1", Weights(4, hidden), 4, hidden).FloatInitializer("b1", new float[hidden], hidden)
        .FloatInitializer("w2", Weights(hidden, hidden), hidden, hidden).FloatInitializer("b2", new float[hidden], hidden)
        .FloatInitializer("w3", Weights(hidden, 3), hidden, 3)
        .Node("MatMul", ["input", "w1"], ["m1"]).Node("Add", ["m1", "b1"], ["a1"]).Node("Relu", ["a1"], ["h1"])
        .Node("MatMul", ["h1", "w2"], ["m2"]).Node("Add", ["m2", "b2"], ["a2"]).Node("Relu", ["a2"], ["h2"])
        .Node("MatMul", ["h2", "w3"], ["logits"])
        .Node("Softmax", ["logits"], ["probabilities"], "", Keel.Serving.Tests.Support.OnnxModelBuilder.IntAttribute("axis", 1))
        .Node("ArgMax", ["logits"], ["label"], "",
            Keel.Serving.Tests.Support.OnnxModelBuilder.IntAttribute("axis", 1), Keel.Serving.Tests.Support.OnnxModelBuilder.IntAttribute("keepdims", 0));
    await File.WriteAllBytesAsync(densePath, builder.Build());
    Console.WriteLine($"{densePath}: 4 -> {hidden} -> {hidden} -> 3, {new FileInfo(densePath).Length / 1048576.0:F1} MiB");
    return;
}

// `writer-memory FORMAT CHUNKS`: what `keel predict`'s output writer keeps per chunk written. Writes
// CHUNKS chunks of 32,768 rows shaped as the predict benchmark's output (id, label, three float
// probabilities) to a temporary .FORMAT file and prints the managed heap after a full collection
// every tenth of the way. It should stay flat for every format; for Parquet it grew by the footer's
// entry of each row group (3.1 KB a chunk) until those entries were spilled to disk (docs/benchmarks.md).
if (args is ["writer-memory", var format, var chunkCount])
{
    const int Rows = 32_768;
    var chunks = int.Parse(chunkCount, System.Globalization.CultureInfo.InvariantCulture);
    var random = new Random(7);
    float Probability() => (float)random.NextDouble();
    var table = new Table(
        new Int64Column("id", [.. Enumerable.Range(0, Rows).Select(i => (long)i)]),
        new Int64Column("label", [.. Enumerable.Range(0, Rows).Select(_ => (long)random.Next(3))]),
        new FloatColumn("probabilities_0", [.. Enumerable.Range(0, Rows).Select(_ => Probability())]),
        new FloatColumn("probabilities_1", [.. Enumerable.Range(0, Rows).Select(_ => Probability())]),
        new FloatColumn("probabilities_2", [.. Enumerable.Range(0, Rows).Select(_ => Probability())]));
    var path = Path.Combine(Path.GetTempPath(), $"keel-writer-memory-{Environment.ProcessId}.{format}");
    try
    {
        await using var writer = Keel.Serving.Batch.TableChunkWriter.Create(path);
        long first = 0;
        for (var c = 1; c <= chunks; c++)
        {
            await writer.WriteAsync(table);
            if (c % Math.Max(1, chunks / 10) == 0 || c == chunks)
            {
                var heap = GC.GetTotalMemory(forceFullCollection: true);
                first = first == 0 ? heap : first;
                Console.WriteLine(System.FormattableString.Invariant(
                    $"{c,6} chunks ({(long)c * Rows,11:N0} rows): managed heap {heap / 1024.0,9:F0} KiB, {heap - first,9:N0} bytes more than at the first line"));
            }
        }

        await writer.CompleteAsync();
    }
    finally
    {
        File.Delete(path);
    }

    return;
}

// `chunk FILE`: ContentChunker.ChunkFileAsync (FastCDC + SHA-256, no callback) over FILE, as
// `keel data add` cuts it, timed from open to the last hash; compare with md5sum/sha256sum on the
// same file in the same run (docs/benchmarks.md).
if (args is ["chunk", var file])
{
    var watch = Stopwatch.StartNew();
    var chunks = await Keel.Data.Chunking.ContentChunker.ChunkFileAsync(file, Keel.Data.Chunking.ChunkingOptions.Default, null, CancellationToken.None);
    var seconds = watch.Elapsed.TotalSeconds;
    var bytes = chunks.Sum(c => (long)c.Size);
    using var self = Process.GetCurrentProcess();
    Console.WriteLine(System.FormattableString.Invariant(
        $"chunked {file}: {bytes} bytes, {chunks.Count} chunks in {seconds:F2} s = {bytes / seconds / 1e6:F0} MB/s (peak working set {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB)"));
    return;
}

// `table FILE ROWS`: writes the benchmark CSV of docs/benchmarks.md "Profiles and validation": ROWS
// rows of 20 columns (an id, nine doubles, four longs, a boolean, four categories, an email-like
// string), deterministic (seeded); `latency` is half missing, `height` 2 %.
if (args is ["table", var tablePath, var rowText])
{
    Keel.Benchmarks.BenchTable.Write(tablePath, long.Parse(rowText, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// `read FILE`: the chunk reader alone over FILE (parse, no profile): the floor under `profile`.
if (args is ["read", var readPath])
{
    var watch = Stopwatch.StartNew();
    await using var reader = await Keel.Tabular.Chunks.TableChunkReader.OpenAsync(readPath);
    long rows = 0;
    await foreach (var chunk in reader.ReadAsync())
    {
        rows += chunk.RowCount;
    }

    Console.WriteLine(System.FormattableString.Invariant($"read {readPath}: {rows} rows in {watch.Elapsed.TotalSeconds:F2} s"));
    return;
}

// `validate FILE`: SuiteValidator with BenchTable.Suite (20 rules) over FILE, its own profile as the reference.
if (args is ["validate", var validatePath])
{
    var suite = Keel.Data.Validation.ExpectationSuite.Parse(Keel.Benchmarks.BenchTable.Suite);
    var reference = await Keel.Data.Profiling.TableProfiler.ProfileAsync(ct => Keel.Tabular.Chunks.TableChunkReader.OpenAsync(validatePath, cancellationToken: ct));
    var watch = Stopwatch.StartNew();
    var (report, _) = await Keel.Data.Validation.SuiteValidator.ValidateAsync(
        suite, ct => Keel.Tabular.Chunks.TableChunkReader.OpenAsync(validatePath, cancellationToken: ct), validatePath, reference, null, CancellationToken.None);
    Console.WriteLine(System.FormattableString.Invariant(
        $"validated {validatePath}: {report.RowCount} rows, {report.RulesPassed + report.RulesFailed} rule results ({report.RulesFailed} failed) in {watch.Elapsed.TotalSeconds:F2} s"));
    return;
}

// `profile FILE`: TableProfiler.ProfileAsync over FILE, as `keel data add` profiles a tabular file.
if (args is ["profile", var profilePath])
{
    var watch = Stopwatch.StartNew();
    var profile = await Keel.Data.Profiling.TableProfiler.ProfileAsync(ct => Keel.Tabular.Chunks.TableChunkReader.OpenAsync(profilePath, cancellationToken: ct));
    var seconds = watch.Elapsed.TotalSeconds;
    using var self = Process.GetCurrentProcess();
    Console.WriteLine(System.FormattableString.Invariant(
        $"profiled {profilePath}: {profile.RowCount} rows x {profile.Columns.Count} columns in {seconds:F2} s (peak working set {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB)"));
    return;
}

// `drift ROWS`: the drift engine's goal (BenchDrift.cs).
if (args is ["drift", var driftRows])
{
    Keel.Benchmarks.BenchDrift.Run(int.Parse(driftRows, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// `monitor RATE SECONDS [SECONDS…]`: a monitor over inference logs of RATE records/s (BenchMonitor.cs).
if (args is ["monitor", var monitorRate, .. var monitorWindows])
{
    await Keel.Benchmarks.BenchMonitor.RunAsync(
        int.Parse(monitorRate, System.Globalization.CultureInfo.InvariantCulture),
        [.. monitorWindows.Select(w => int.Parse(w, System.Globalization.CultureInfo.InvariantCulture))]);
    return;
}

// `ui-runs RUNS`: the web UI's runs table over RUNS runs, in headless Chromium (BenchUi.cs).
if (args is ["ui-runs", var uiRuns])
{
    await Keel.Benchmarks.BenchUi.RunAsync(int.Parse(uiRuns, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// `ui-chart POINTS`: a run page's metric chart of POINTS points, in headless Chromium (BenchUi.cs).
if (args is ["ui-chart", var chartPoints])
{
    await Keel.Benchmarks.BenchUi.ChartAsync(int.Parse(chartPoints, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Keel.Benchmarks.LogBatchBenchmarks).Assembly).Run(args);
