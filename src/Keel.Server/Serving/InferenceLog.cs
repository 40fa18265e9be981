using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Keel.Core.Inference;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;
using Keel.Tabular;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Serving;

/// <summary>Where batches of inference records go: the SQL store in `keel server`, the server's REST API from `keel serve`.</summary>
public interface IInferenceSink
{
    Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct);
}

/// <summary>The SQL inference log of the platform's own database.</summary>
public sealed class StoreInferenceSink(IInferenceLogStore store) : IInferenceSink
{
    public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct) => store.AppendAsync(records, ct);
}

/// <summary>One scored request waiting in the queue; its inputs and outputs are turned into JSON by the writer, not the request.</summary>
public sealed record PendingInference(
    string RequestId,
    string Deployment,
    string ModelName,
    string ModelVersion,
    string Route,
    bool Shadow,
    long Time,
    double LatencyMs,
    int Status,
    string? Error,
    Table? Inputs,
    PredictionResult? Outputs);

/// <summary>How the inference log queues and writes.</summary>
public sealed class InferenceLogOptions
{
    /// <summary>Records held in memory at most; beyond it new records are dropped (and counted), never waited for.</summary>
    public int Capacity { get; set; } = 50_000;

    /// <summary>Records written per batch at most.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>How long the writer gathers a batch before writing what it has.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// The inference log's bounded queue (DESIGN "Serving"): a request hands its record over with a
/// non-blocking <see cref="TryEnqueue"/> and goes on; one writer drains the queue in batches,
/// serialises inputs and outputs and writes them to the sink. When the queue is full the record
/// is dropped and counted (<see cref="Dropped"/>, exported as `keel_inference_log_dropped_total`).
/// A batch the sink refuses is retried with back-off a few times, then dropped and counted.
/// </summary>
public sealed partial class InferenceLog : BackgroundService
{
    private const int MaxAttempts = 5;

    /// <summary>How long the writer sleeps between looks at the queue while it gathers a batch.</summary>
    private static readonly TimeSpan GatherPoll = TimeSpan.FromMilliseconds(5);

    private readonly Channel<PendingInference> _queue;
    private readonly IInferenceSink? _sink;
    private readonly InferenceLogOptions _options;
    private readonly ILogger<InferenceLog> _logger;
    private long _dropped;
    private long _written;
    private long _failed;

    public InferenceLog(IInferenceSink? sink, InferenceLogOptions options, ILogger<InferenceLog> logger)
    {
        _sink = sink;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingInference>(new BoundedChannelOptions(options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>False when nothing is logged here (a local model with no server).</summary>
    public bool Enabled => _sink is not null;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public long Failed => Interlocked.Read(ref _failed);

    public int Queued => _queue.Reader.Count;

    /// <summary>Queues a record without waiting; a full queue drops it and counts the drop.</summary>
    public void TryEnqueue(PendingInference record)
    {
        if (_sink is null)
        {
            return;
        }

        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _writing) != 0)
        {
            await Task.Delay(10, ct);
        }
    }

    private int _writing;

    // The writer's JSON buffers, reused for every record (there is one writer).
    private readonly RecordJson _json = new();

    /// <summary>
    /// Runs the writer on its own thread, not the thread pool's: SQLite writes synchronously, and a
    /// pool thread held for a batch delays the requests queued behind it (it showed in p99).
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_sink is null)
        {
            return Task.CompletedTask;
        }

        return Keel.Storage.Threading.WriterThread.Start("keel-inference-log", () => Run(stoppingToken));
    }

    private void Run(CancellationToken stoppingToken)
    {
        var batch = new List<PendingInference>(_options.BatchSize);
        var reader = _queue.Reader;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!reader.TryRead(out var first))
            {
                if (!WaitForRecords(reader, Timeout.InfiniteTimeSpan, stoppingToken))
                {
                    break;
                }

                continue;
            }

            Volatile.Write(ref _writing, 1);
            batch.Add(first);
            var deadline = Stopwatch.GetTimestamp() + (long)(_options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < _options.BatchSize)
            {
                if (reader.TryRead(out var item))
                {
                    batch.Add(item);
                    continue;
                }

                // Gathering polls instead of waiting on the queue: a waiting reader makes every
                // request that queues a record wake this thread (two context switches a record,
                // measured at a third of the log's cost under load).
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero || stoppingToken.WaitHandle.WaitOne(left < GatherPoll ? left : GatherPoll))
                {
                    break;
                }
            }

            Write(batch, stoppingToken);
            batch.Clear();
            Volatile.Write(ref _writing, 0);
        }

        // Shutdown: write what is still queued, without the stopping token.
        Volatile.Write(ref _writing, 1);
        while (reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        Write(batch, CancellationToken.None);
        Volatile.Write(ref _writing, 0);
    }

    /// <summary>Blocks this (dedicated) thread until a record is queued, the time passes or the log stops; false when it stopped.</summary>
    private static bool WaitForRecords(ChannelReader<PendingInference> reader, TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            var waiting = reader.WaitToReadAsync(stoppingToken);
            if (waiting.IsCompleted)
            {
                return waiting.Result;
            }

            var task = waiting.AsTask();
            // Blocking is the point here: this thread is the writer's own.
            return !task.Wait(timeout, stoppingToken) || task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Write(List<PendingInference> batch, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var records = batch.ConvertAll(_json.ToRecord);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The SQL sink completes synchronously on this thread; the HTTP sink of `keel serve` awaits its call here.
                _sink!.WriteAsync(records, ct).GetAwaiter().GetResult();
                Interlocked.Add(ref _written, records.Count);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopping: this batch is still written, without the token.
                ct = CancellationToken.None;
            }
            catch (Exception e)
            {
                if (attempt >= MaxAttempts)
                {
                    Interlocked.Add(ref _failed, records.Count);
                    LogWriteFailed(_logger, e, records.Count, attempt);
                    return;
                }

                // A stop cuts the back-off short; the next attempt goes without the token.
                if (ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100 * (1 << attempt))))
                {
                    ct = CancellationToken.None;
                }
            }
        }
    }

    /// <summary>The durable form of a pending record: inputs as JSON columns, outputs as `/invocations` writes them.</summary>
    public static InferenceRecord ToRecord(PendingInference p) => new RecordJson().ToRecord(p);

    /// <summary>`{"column": [values...], ...}`; missing values are null.</summary>
    public static void WriteColumns(Utf8JsonWriter w, Table table)
    {
        w.WriteStartObject();
        foreach (var column in table.Columns)
        {
            w.WriteStartArray(column.Name);
            for (var row = 0; row < column.Length; row++)
            {
                if (column.IsMissing(row))
                {
                    w.WriteNullValue();
                    continue;
                }

                switch (column.Type)
                {
                    case ColumnType.String:
                        w.WriteStringValue(column.GetString(row));
                        break;
                    case ColumnType.Boolean:
                        w.WriteBooleanValue(column.GetDouble(row) != 0);
                        break;
                    case ColumnType.Float:
                        // As float, so 5.1f is written 5.1 (not 5.099999904632568).
                        var single = (float)column.GetDouble(row);
                        if (float.IsFinite(single))
                        {
                            w.WriteNumberValue(single);
                        }
                        else
                        {
                            w.WriteNullValue();
                        }

                        break;
                    default:
                        var value = column.GetDouble(row);
                        if (double.IsFinite(value))
                        {
                            w.WriteNumberValue(value);
                        }
                        else
                        {
                            w.WriteNullValue();
                        }

                        break;
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>Turns pending records into stored ones with one reused buffer and JSON writer.</summary>
    private sealed class RecordJson
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _writer;

        public RecordJson() => _writer = new Utf8JsonWriter(_buffer);

        public InferenceRecord ToRecord(PendingInference p) => new(
            p.RequestId, p.Deployment, p.ModelName, p.ModelVersion, p.Route, p.Shadow, p.Time, p.LatencyMs, p.Status, p.Error,
            p.Inputs is { } inputs ? Json(w => WriteColumns(w, inputs)) : null,
            p.Outputs is { } outputs ? Json(w => MlflowScoring.WritePredictions(w, outputs)) : null);

        private string Json(Action<Utf8JsonWriter> write)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            write(_writer);
            _writer.Flush();
            return System.Text.Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Count} inference records after {Attempts} failed writes.")]
    private static partial void LogWriteFailed(ILogger logger, Exception e, int count, int attempts);
}
