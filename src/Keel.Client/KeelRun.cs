using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Keel.Client.Internal;

namespace Keel.Client;

/// <summary>
/// A started run that ends when disposed. Get one from <see cref="KeelClient.StartRunAsync"/>
/// and hold it with <c>await using</c>.
/// </summary>
/// <remarks>
/// <para><b>How the run ends.</b> <see cref="DisposeAsync"/> sends the queued metrics and ends
/// the run <see cref="RunStatus.Finished"/>, or <see cref="RunStatus.Failed"/> when
/// <see cref="Fail"/> was called before. C# does not tell <c>DisposeAsync</c> whether an
/// exception is unwinding, so a failure must be marked: call <see cref="Fail"/> in a
/// <c>catch</c> block and rethrow —
/// <code>
/// await using var run = await client.StartRunAsync("churn");
/// try { await TrainAsync(run); }
/// catch { run.Fail(); throw; }
/// </code>
/// — or let <see cref="KeelClient.ExecuteRunAsync"/> do it. <see cref="EndAsync"/> ends the run
/// early with any status; disposing afterwards does nothing.</para>
/// <para><b>Metrics</b> logged with <see cref="LogMetric"/> are queued and sent in the
/// background by <c>runs/log-batch</c>: as soon as <see cref="KeelClientOptions.MetricBatchSize"/>
/// are waiting, or <see cref="KeelClientOptions.MetricFlushInterval"/> after the first of them
/// was queued, and on <see cref="FlushAsync"/>, <see cref="EndAsync"/> and disposal. A failed
/// background send does not stop the sender; the first such error is thrown by the next
/// <see cref="FlushAsync"/>, <see cref="EndAsync"/> or <see cref="DisposeAsync"/> (which still
/// ends the run first). When the run was marked failed, <see cref="DisposeAsync"/> throws
/// nothing, so it never replaces the exception that is propagating.</para>
/// <para>Parameters, tags and artifacts are sent directly: await them.</para>
/// </remarks>
public sealed class KeelRun : IAsyncDisposable
{
    private readonly KeelClient _client;
    private readonly Channel<QueuedItem> _queue;
    private readonly Task _sender;
    private readonly int _batchSize;
    private readonly TimeSpan _flushInterval;
    private readonly TimeProvider _time;
    private readonly Lazy<Uri> _artifactRoot;

    // Written by the sender loop only; read by EndAsync after the loop has finished.
    private Exception? _sendError;
    private int _ended;
    private int _endStatus = (int)RunStatus.Finished;

    internal KeelRun(KeelClient client, RunInfo info)
    {
        _client = client;
        Info = info;
        var options = client.Options;
        _batchSize = options.MetricBatchSize;
        _flushInterval = options.MetricFlushInterval;
        _time = options.TimeProvider;
        _queue = Channel.CreateBounded<QueuedItem>(new BoundedChannelOptions(options.MetricQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _artifactRoot = new Lazy<Uri>(() => client.ResolveArtifactRoot(info.ArtifactUri));

        // Off the caller's synchronization context: the loop must keep draining even while a
        // caller blocks in LogMetric on a full queue.
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>The run's metadata: as created, and as ended once <see cref="EndAsync"/> or disposal has ended it.</summary>
    public RunInfo Info { get; private set; }

    /// <summary>The run id.</summary>
    public string RunId => Info.RunId;

    /// <summary>The id of the run's experiment.</summary>
    public string ExperimentId => Info.ExperimentId;

    /// <summary>The client this run talks through, for calls the scope does not wrap.</summary>
    public KeelClient Client => _client;

    /// <summary>
    /// Queues a metric value and returns at once; see the remarks of <see cref="KeelRun"/> for
    /// when it is sent. When <see cref="KeelClientOptions.MetricQueueCapacity"/> values are
    /// waiting, this blocks until the sender has made room (use <see cref="LogMetricAsync"/> to
    /// wait asynchronously instead).
    /// </summary>
    /// <param name="key">The metric name.</param>
    /// <param name="value">The value; NaN and ±infinity are allowed.</param>
    /// <param name="step">The step.</param>
    /// <param name="timestamp">When it was measured; <see langword="null"/> for now.</param>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void LogMetric(string key, double value, long step = 0, DateTimeOffset? timestamp = null)
    {
        var item = CreateItem(key, value, step, timestamp);
        if (_queue.Writer.TryWrite(item))
        {
            return;
        }

        ThrowIfEnded();
        try
        {
            // Back-pressure instead of losing data: the sender runs on the thread pool, so
            // blocking this thread cannot stop it from draining the queue.
            _queue.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            throw EndedException();
        }
    }

    /// <summary>Queues a metric value, waiting asynchronously while the queue is full.</summary>
    /// <param name="key">The metric name.</param>
    /// <param name="value">The value; NaN and ±infinity are allowed.</param>
    /// <param name="step">The step.</param>
    /// <param name="timestamp">When it was measured; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">Cancels waiting for room in the queue.</param>
    /// <returns>A task that completes when the value is queued (not sent).</returns>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public async ValueTask LogMetricAsync(
        string key, double value, long step = 0, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        var item = CreateItem(key, value, step, timestamp);
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw EndedException();
        }
    }

    /// <summary>Queues several metric values of the same step, as <see cref="LogMetric"/> does.</summary>
    /// <param name="metrics">The values by metric name.</param>
    /// <param name="step">The step.</param>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var now = _time.GetUtcNow();
        foreach (var (key, value) in metrics)
        {
            LogMetric(key, value, step, now);
        }
    }

    /// <summary>Sends every metric queued so far and waits for the server to accept them.</summary>
    /// <param name="cancellationToken">Cancels waiting (the metrics are still sent).</param>
    /// <returns>A task that completes when the queued metrics are stored.</returns>
    /// <exception cref="KeelApiException">A background send failed since the last flush (the first such error).</exception>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new QueuedItem(null, done), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw EndedException();
        }

        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Logs a parameter (write-once: another value for the same key fails).</summary>
    /// <param name="key">The parameter name.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task LogParamAsync(string key, string value, CancellationToken cancellationToken = default) =>
        _client.LogParamAsync(RunId, key, value, cancellationToken);

    /// <summary>Logs several parameters in as few requests as possible.</summary>
    /// <param name="parameters">The parameters by name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        _client.LogParamsAsync(RunId, parameters, cancellationToken);

    /// <summary>Sets a run tag.</summary>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task SetTagAsync(string key, string value, CancellationToken cancellationToken = default) =>
        _client.SetTagAsync(RunId, key, value, cancellationToken);

    /// <summary>Sets several run tags in as few requests as possible.</summary>
    /// <param name="tags">The tags by key.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
        _client.SetTagsAsync(RunId, tags, cancellationToken);

    /// <summary>Uploads a local file into the run's artifacts, as <see cref="KeelClient.LogArtifactAsync"/> does.</summary>
    /// <param name="localPath">The file.</param>
    /// <param name="artifactPath">The artifact folder to put it in; <see langword="null"/> for the root.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>A task that completes when the server has stored the file.</returns>
    public Task LogArtifactAsync(string localPath, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        _client.LogArtifactCoreAsync(_artifactRoot.Value, localPath, artifactPath, cancellationToken);

    /// <summary>Uploads the contents of a local folder into the run's artifacts, as <see cref="KeelClient.LogArtifactsAsync"/> does.</summary>
    /// <param name="localDirectory">The folder.</param>
    /// <param name="artifactPath">The artifact folder to put its contents in; <see langword="null"/> for the root.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>A task that completes when the server has stored every file.</returns>
    public Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        _client.LogArtifactsCoreAsync(_artifactRoot.Value, localDirectory, artifactPath, cancellationToken);

    /// <summary>Logs a trained ML.NET model to this run, as <see cref="KeelClient.LogModelAsync"/> does.</summary>
    /// <param name="mlContext">The context the model was trained with.</param>
    /// <param name="model">The trained transformer.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <param name="artifactPath">The model folder inside the run's artifacts.</param>
    /// <param name="options">Registration, input example, label column, metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Where the model went, and its registry version when registered.</returns>
    public Task<Models.LoggedModel> LogModelAsync(
        Microsoft.ML.MLContext mlContext, Microsoft.ML.ITransformer model, Microsoft.ML.DataViewSchema inputSchema, string artifactPath = "model",
        Models.LogModelOptions? options = null, CancellationToken cancellationToken = default) =>
        _client.LogModelAsync(RunId, mlContext, model, inputSchema, artifactPath, options, cancellationToken);

    /// <summary>Logs an ONNX model file to this run, as <see cref="KeelClient.LogOnnxModelAsync"/> does.</summary>
    /// <param name="onnxFile">The <c>.onnx</c> file.</param>
    /// <param name="artifactPath">The model folder inside the run's artifacts.</param>
    /// <param name="options">Registration, input example, metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Where the model went, and its registry version when registered.</returns>
    public Task<Models.LoggedModel> LogOnnxModelAsync(
        string onnxFile, string artifactPath = "model", Models.LogModelOptions? options = null, CancellationToken cancellationToken = default) =>
        _client.LogOnnxModelAsync(RunId, onnxFile, artifactPath, options, cancellationToken);

    /// <summary>Marks the run failed: disposing the scope will end it <see cref="RunStatus.Failed"/> and throw nothing.</summary>
    public void Fail() => MarkEndStatus(RunStatus.Failed);

    /// <summary>
    /// Sends the queued metrics and ends the run now with <paramref name="status"/>; disposing the
    /// scope afterwards does nothing.
    /// </summary>
    /// <param name="status">The final status.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The run's final metadata.</returns>
    /// <exception cref="KeelApiException">A background metric send failed (the run is still ended), or ending failed.</exception>
    /// <exception cref="InvalidOperationException">The run has already ended.</exception>
    public async Task<RunInfo> EndAsync(RunStatus status = RunStatus.Finished, CancellationToken cancellationToken = default) =>
        await EndCoreAsync(status, cancellationToken) ?? throw EndedException();

    /// <summary>
    /// Sends the queued metrics and ends the run, <see cref="RunStatus.Finished"/> unless
    /// <see cref="Fail"/> was called; does nothing when the run has already ended.
    /// </summary>
    /// <returns>A task that completes when the run has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        var status = (RunStatus)Volatile.Read(ref _endStatus);
        if (status == RunStatus.Finished)
        {
            await EndCoreAsync(status, CancellationToken.None);
            return;
        }

        try
        {
            await EndCoreAsync(status, CancellationToken.None);
        }
        catch (Exception)
        {
            // The scope was marked failed, so an exception is most likely propagating through
            // the `await using`; throwing here would replace it with a less useful one.
        }
    }

    internal void MarkEndStatus(RunStatus status) => Volatile.Write(ref _endStatus, (int)status);

    private async Task<RunInfo?> EndCoreAsync(RunStatus status, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return null;
        }

        // No more metrics; the sender drains what is queued (and answers pending flushes) and stops.
        _queue.Writer.TryComplete();
        await _sender.WaitAsync(cancellationToken);
        var sendError = _sendError;
        _sendError = null;

        Info = await _client.EndRunAsync(RunId, status, cancellationToken);
        if (sendError is not null)
        {
            ExceptionDispatchInfo.Throw(sendError);
        }

        return Info;
    }

    private QueuedItem CreateItem(string key, double value, long step, DateTimeOffset? timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var ms = (timestamp ?? _time.GetUtcNow()).ToUnixTimeMilliseconds();
        return new QueuedItem(new MetricDto { Key = key, Value = value, Timestamp = ms, Step = step }, null);
    }

    private void ThrowIfEnded()
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            throw EndedException();
        }
    }

    private InvalidOperationException EndedException() =>
        new($"Run {RunId} has ended; nothing more can be logged through this scope.");

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<MetricDto>(_batchSize);
        while (await reader.WaitToReadAsync())
        {
            // Collect until the batch is full, a flush is requested, or the interval since the
            // first queued value has passed — whichever comes first.
            var firstQueuedAt = _time.GetTimestamp();
            TaskCompletionSource? flush = null;
            while (true)
            {
                while (batch.Count < _batchSize && reader.TryRead(out var item))
                {
                    if (item.Flush is not null)
                    {
                        flush = item.Flush;
                        break;
                    }

                    batch.Add(item.Metric!);
                }

                if (flush is not null || batch.Count >= _batchSize)
                {
                    break;
                }

                var remaining = _flushInterval - _time.GetElapsedTime(firstQueuedAt);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                using var timer = new CancellationTokenSource(remaining, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(timer.Token))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (timer.IsCancellationRequested)
                {
                    break;
                }
            }

            if (batch.Count > 0)
            {
                try
                {
                    await _client.LogBatchCoreAsync(RunId, batch, null, null, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // Keep sending later batches (the failure may be transient); report the first
                    // error on the next flush or at the end of the run.
                    _sendError ??= ex;
                }

                batch.Clear();
            }

            if (flush is not null)
            {
                if (_sendError is { } error)
                {
                    _sendError = null;
                    flush.TrySetException(error);
                }
                else
                {
                    flush.TrySetResult();
                }
            }
        }
    }

    private readonly record struct QueuedItem(MetricDto? Metric, TaskCompletionSource? Flush);
}
