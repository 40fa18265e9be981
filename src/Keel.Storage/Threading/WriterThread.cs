namespace Keel.Storage.Threading;

/// <summary>
/// A background writer on a thread of its own (the SQLite writer, the inference log), off the
/// thread pool: their work is synchronous, and a pool thread held by it delays the requests queued
/// behind it. (Running it at a lower priority, nice +5, was measured and made the serving p99 worse:
/// a preempted commit holds its batch longer.)
/// </summary>
public static class WriterThread
{
    /// <summary>Starts <paramref name="run"/> on a new background thread; the task ends when it returns or throws.</summary>
    public static Task Start(string name, Action run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                run();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Blocks a writer's own thread until <paramref name="task"/> completes, without the spinning
    /// (and <c>sched_yield</c> calls) <c>Task.Wait</c> does first: these threads wait for work most of
    /// the time, and their spins took CPU from the request threads on two cores.
    /// </summary>
    public static T Block<T>(Task<T> task)
    {
        Block((Task)task);
        return task.GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="Block{T}(Task{T})"/>
    public static void Block(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.IsCompleted)
        {
            using var done = new ManualResetEventSlim(false, spinCount: 0);
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(done.Set);
            done.Wait();
        }

        task.GetAwaiter().GetResult();
    }
}
