using System.Collections.Concurrent;
using System.Diagnostics;
using Keel.Tabular;
using Microsoft.Extensions.Hosting;

namespace Keel.Server.Serving;

/// <summary>
/// Scores shadow copies off the critical path: a live request hands over its parsed input without
/// waiting (a full queue skips the copy and counts it); one dedicated thread — not a thread-pool
/// thread, so a slow shadow cannot starve the live requests — predicts with the shadow model and
/// logs the outcome beside the live record (same request id). A shadow that throws or is slow
/// only delays other shadow copies.
/// </summary>
public sealed class ShadowRunner(InferenceLog log) : IHostedService
{
    // Not disposed: the worker may still be draining it when the host is torn down.
    private readonly BlockingCollection<Job> _queue = new(boundedCapacity: 1_000);
    private Thread? _worker;
    private long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a copy of a live request for the shadow route; false when it was skipped.</summary>
    /// <param name="time">The live request's arrival (ms since the epoch): the pair shares it.</param>
    public bool TryQueue(string deployment, ActiveRoute shadow, string requestId, Table input, long time)
    {
        if (_queue.IsAddingCompleted || !shadow.Shared.TryAddReference())
        {
            return false;
        }

        try
        {
            if (_queue.TryAdd(new Job(deployment, shadow, requestId, input, time)))
            {
                return true;
            }
        }
        catch (InvalidOperationException)
        {
            // Stopping: adding was completed meanwhile.
        }

        shadow.Shared.Release();
        Interlocked.Increment(ref _dropped);
        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _worker = new Thread(Run) { IsBackground = true, Name = "keel-shadow" };
        _worker.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.CompleteAdding();
        _worker?.Join(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    private void Run()
    {
        foreach (var job in _queue.GetConsumingEnumerable())
        {
            var model = job.Shadow.Model;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = model.Predictor.Predict(job.Input);
                log.TryEnqueue(new PendingInference(job.RequestId, job.Deployment, model.Name, model.Version, "shadow", true, job.Time,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, 200, null, null, result));
            }
            catch (Exception e)
            {
                log.TryEnqueue(new PendingInference(job.RequestId, job.Deployment, model.Name, model.Version, "shadow", true, job.Time,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, 500, e.Message, null, null));
            }
            finally
            {
                job.Shadow.Shared.Release();
            }
        }
    }

    private sealed record Job(string Deployment, ActiveRoute Shadow, string RequestId, Table Input, long Time);
}
