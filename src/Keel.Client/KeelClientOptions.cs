namespace Keel.Client;

/// <summary>Settings of a <see cref="KeelClient"/>; the defaults suit most programs.</summary>
public sealed class KeelClientOptions
{
    /// <summary>The clock for run start/end times and metric timestamps, and for the metric flush interval. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Longest wait for one API call (not for artifact transfers, which are bounded only by the
    /// caller's cancellation token). Default: 100 seconds.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// A run scope sends queued metrics once this many are waiting (1 to 1000, the server's
    /// per-request limit). Default: 1000.
    /// </summary>
    public int MetricBatchSize { get; set; } = 1000;

    /// <summary>A run scope sends queued metrics at the latest this long after the first of them was queued. Default: 200 ms.</summary>
    public TimeSpan MetricFlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How many metrics a run scope may hold before <see cref="KeelRun.LogMetric"/> blocks until
    /// the background sender has made room (back-pressure rather than data loss). Default: 100,000.
    /// </summary>
    public int MetricQueueCapacity { get; set; } = 100_000;

    /// <summary>How many files a folder upload or download transfers at once. Default: 4.</summary>
    public int ArtifactParallelism { get; set; } = 4;

    /// <summary>The user recorded on runs started by <see cref="KeelClient.StartRunAsync"/>. Default: <see cref="Environment.UserName"/>.</summary>
    public string? UserName { get; set; } = Environment.UserName;

    internal KeelClientOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(MetricBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MetricBatchSize, 1000);
        ArgumentOutOfRangeException.ThrowIfLessThan(MetricQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ArtifactParallelism, 1);
        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "Must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (MetricFlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MetricFlushInterval), MetricFlushInterval, "Must be positive.");
        }

        // A copy, so changing the options after constructing a client does not change the client.
        return (KeelClientOptions)MemberwiseClone();
    }
}
