using System.Collections.Concurrent;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// The threads batch scoring predicts on: a fixed set, each of its own (not the pool's, see
/// <see cref="BatchScorer"/>), alive for the whole file. A thread started per chunk cost ~300 thread
/// starts per 10M rows, and each ended thread's stack went to glibc's cache of stacks with the pages
/// ONNX Runtime had touched: the process grew by about a MiB every few seconds through a long file.
/// A task's continuations run on the pool, never on these threads (the writer's loop awaits them).
/// </summary>
internal sealed class ScoringThreads : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread[] _threads;

    public ScoringThreads(int count)
    {
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"keel-predict-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues <paramref name="work"/> for the next free thread.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>Lets the threads finish what is queued, then waits for them to end.</summary>
    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _work.Dispose();
    }

    private void Work()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }
}
