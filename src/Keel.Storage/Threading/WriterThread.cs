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
}
