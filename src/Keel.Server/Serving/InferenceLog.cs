using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
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
    PredictionResult? Outputs)
{
    /// <summary>The outputs' JSON when the request already wrote it (the `/invocations` response body), so the writer does not write it again.</summary>
    public ReadOnlyMemory<byte> OutputsUtf8 { get; init; }

    /// <summary>The request's `dataframe_split` of numbers, when it came so: the inputs are written from its text.</summary>
    public ReadOnlyMemory<byte> InputsSplit { get; init; }

    /// <summary>The request's numbers, row-major over the columns of <see cref="PendingInference.Inputs"/> (an OIP tensor's data): the inputs are written from their text.</summary>
    public ReadOnlyMemory<byte> InputsData { get; init; }
}

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

    // A lock-free queue with a counted bound: requests enqueue without taking a lock (the bounded
    // channel's lock was contended by the request threads and the writer), and wake the writer only
    // when it sleeps with nothing to do.
    private readonly ConcurrentQueue<PendingInference> _queue = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private int _count;
    private int _sleeping;
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
    }

    /// <summary>False when nothing is logged here (a local model with no server).</summary>
    public bool Enabled => _sink is not null;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public long Failed => Interlocked.Read(ref _failed);

    public int Queued => Volatile.Read(ref _count);

    /// <summary>Queues a record without waiting; a full queue drops it and counts the drop.</summary>
    public void TryEnqueue(PendingInference record)
    {
        if (_sink is null)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > _options.Capacity)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(record);
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            _wake.Set();
        }
    }

    private bool TryDequeue([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out PendingInference record)
    {
        if (!_queue.TryDequeue(out record))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        while (Volatile.Read(ref _count) > 0 || Volatile.Read(ref _writing) != 0)
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
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!TryDequeue(out var first))
            {
                if (!WaitForRecords(stoppingToken))
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
                if (TryDequeue(out var item))
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
        while (TryDequeue(out var item))
        {
            batch.Add(item);
        }

        Write(batch, CancellationToken.None);
        Volatile.Write(ref _writing, 0);
    }

    /// <summary>Blocks this (dedicated) thread until a record is queued or the log stops; false when it stopped.</summary>
    private bool WaitForRecords(CancellationToken stoppingToken)
    {
        _wake.Reset();
        // Announce the sleep, then look once more: a record queued before the announcement is seen
        // here, one queued after it sets the event (both sides use full fences).
        Interlocked.Exchange(ref _sleeping, 1);
        if (!_queue.IsEmpty)
        {
            Volatile.Write(ref _sleeping, 0);
            return true;
        }

        try
        {
            _wake.Wait(stoppingToken);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Volatile.Write(ref _sleeping, 0);
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
                Keel.Storage.Threading.WriterThread.Block(_sink!.WriteAsync(records, ct));
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

        // Relaxed escaping and no structural checks: the writer only ever writes what the code
        // above builds, and the JSON goes to Keel's own storage, not into an HTML page.
        public RecordJson() => _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        });

        // The payloads stay UTF-8 from the request to storage (no string made of them).
        public InferenceRecord ToRecord(PendingInference p) => new(
            p.RequestId, p.Deployment, p.ModelName, p.ModelVersion, p.Route, p.Shadow, p.Time, p.LatencyMs, p.Status, p.Error, null, null)
        {
            InputsUtf8 = p.Inputs is null ? default
                : !p.InputsSplit.IsEmpty ? Json(p.InputsSplit, static (w, split) => MlflowScoring.WriteSplitAsColumns(w, split.Span))
                : !p.InputsData.IsEmpty ? Json(p, static (w, p) => MlflowScoring.WriteNumbersAsColumns(w, p.Inputs!.ColumnNames, p.InputsData.Span))
                : Json(p.Inputs, WriteColumns),
            OutputsUtf8 = !p.OutputsUtf8.IsEmpty ? p.OutputsUtf8
                : p.Outputs is { } outputs ? Json(outputs, MlflowScoring.WritePredictions) : default,
            PayloadsAreJson = true,
        };

        private byte[] Json<T>(T value, Action<Utf8JsonWriter, T> write)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            write(_writer, value);
            _writer.Flush();
            return _buffer.WrittenSpan.ToArray();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Count} inference records after {Attempts} failed writes.")]
    private static partial void LogWriteFailed(ILogger logger, Exception e, int count, int attempts);
}
