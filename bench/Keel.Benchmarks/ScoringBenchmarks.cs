using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Keel.Core.Inference;
using Keel.Core.Tracking;
using Keel.Server.Serving;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;
using Keel.Storage.Sql;
using Keel.Tabular;

namespace Keel.Benchmarks;

/// <summary>
/// What one `/invocations` request of the serving goal costs, piece by piece, without HTTP:
/// the 2-row iris body parsed (the one-pass reader, and the general reader on the same
/// rows as records), scored by iris_forest.onnx (one intra-op thread, as serving loads it), the
/// predictions written, and the inference record made and stored in SQLite (per record, in the
/// log writer's batches of 256).
/// </summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private static readonly byte[] SplitBody = Encoding.UTF8.GetBytes(
        """{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[5.1,3.5,1.4,0.2],[6.2,2.9,4.3,1.3]]}}""");

    private static readonly byte[] RecordsBody = Encoding.UTF8.GetBytes(
        """{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, {"sepal_length": 6.2, "sepal_width": 2.9, "petal_length": 4.3, "petal_width": 1.3}]}""");

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private string _folder = null!;
    private IPredictor _iris = null!;
    private Table _table = null!;
    private PredictionResult _result = null!;
    private ITrackingStore _store = null!;
    private IInferenceLogStore _log = null!;
    private InferenceRecord[] _records = null!;
    private long _time;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "keel-bench-" + Guid.NewGuid().ToString("N"));
        new ModelPackager(TimeProvider.System).SaveOnnx(Path.Combine(ModelLoadBenchmarks.FixturesFolder(), "iris_forest.onnx"), Path.Combine(_folder, "iris"));
        _iris = ModelLoader.Load(Path.Combine(_folder, "iris"), new ModelLoadOptions { OnnxIntraOpThreads = 1 });
        _table = MlflowScoring.ParseJson(SplitBody, _iris.Signature).Table;
        _result = _iris.Predict(_table);
        _store = TrackingStoreFactory.Open("sqlite:///" + Path.Combine(_folder, "bench.db"));
        new TrackingService(_store, TimeProvider.System, new TrackingOptions()).InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        _log = TrackingStoreFactory.OpenInferenceLog(_store);
        var record = InferenceLog.ToRecord(new PendingInference(
            Guid.NewGuid().ToString("N"), "iris", "iris", "1", "primary", false, 0, 1.5, 200, null, _table, _result));
        _records = [.. Enumerable.Range(0, 2048).Select(i => record with { RequestId = Guid.NewGuid().ToString("N") })];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _iris.Dispose();
        await ((IAsyncDisposable)_store).DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark]
    public Table Parse_dataframe_split() => MlflowScoring.ParseJson(SplitBody, _iris.Signature).Table;

    [Benchmark]
    public Table Parse_dataframe_records_general_reader() => MlflowScoring.ParseJson(RecordsBody, _iris.Signature).Table;

    [Benchmark]
    public PredictionResult Predict_two_rows() => _iris.Predict(_table);

    [Benchmark]
    public int Write_predictions()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        MlflowScoring.WritePredictions(writer, _result);
        writer.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public InferenceRecord Make_inference_record() => InferenceLog.ToRecord(new PendingInference(
        "0af7651916cd43dd8448eb211c80319c", "iris", "iris", "1", "primary", false, 0, 1.5, 200, null, _table, _result));

    /// <summary>Request ids as `Guid.NewGuid` makes them (random), or time-ordered (UUIDv7) as Keel now makes them.</summary>
    [Params(false, true)]
    public bool TimeOrderedIds { get; set; }

    /// <summary>256 records in one append (the log writer's batch) with new request ids; per record.</summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public Task Store_inference_record_in_batches_of_256() => StoreAsync(256);

    /// <summary>2,048 records in one append; per record.</summary>
    [Benchmark(OperationsPerInvoke = 2048)]
    public Task Store_inference_record_in_batches_of_2048() => StoreAsync(2048);

    private Task StoreAsync(int count)
    {
        var time = Interlocked.Add(ref _time, count);
        for (var i = 0; i < count; i++)
        {
            var id = TimeOrderedIds ? Guid.CreateVersion7() : Guid.NewGuid();
            _records[i] = _records[i] with { Time = time + i, RequestId = id.ToString("N") };
        }

        return _log.AppendAsync(new ArraySegment<InferenceRecord>(_records, 0, count), CancellationToken.None);
    }
}
