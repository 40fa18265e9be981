using Keel.Core.Search;

namespace Keel.Core.Tracking;

/// <summary>A new experiment; the store assigns the id and, when no location is given, derives it.</summary>
public sealed record NewExperiment(string Name, string? ArtifactLocation, IReadOnlyList<KeyValue> Tags, long Time);

public sealed record NewRun(
    string RunId,
    long ExperimentId,
    string RunName,
    string? UserId,
    long StartTime,
    IReadOnlyList<KeyValue> Tags);

/// <summary>Fields of a run update; null leaves a field as it is.</summary>
public sealed record RunUpdate(RunStatus? Status, long? EndTime, string? RunName);

/// <summary>One validated log-batch: the store writes all of it or none of it.</summary>
public sealed record RunBatch(IReadOnlyList<Metric> Metrics, IReadOnlyList<KeyValue> Params, IReadOnlyList<KeyValue> Tags);

/// <summary>
/// Persistence primitives for experiments and runs. Conveniences (log one metric, set one tag)
/// are built on these by <see cref="TrackingService"/>; every method is atomic.
/// </summary>
public interface ITrackingStore
{
    /// <summary>Creates experiment "0" named Default when the store is empty.</summary>
    Task InitializeAsync(Func<long, string> defaultArtifactLocation, long now, CancellationToken ct);

    Task<long> CreateExperimentAsync(NewExperiment experiment, Func<long, string> defaultArtifactLocation, CancellationToken ct);

    Task<Experiment?> GetExperimentAsync(long experimentId, CancellationToken ct);

    Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct);

    Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct);

    Task RenameExperimentAsync(long experimentId, string newName, long now, CancellationToken ct);

    /// <summary>Deletes or restores an experiment and, as MLflow does, every run in it.</summary>
    Task SetExperimentLifecycleAsync(long experimentId, string stage, long now, CancellationToken ct);

    Task SetExperimentTagAsync(long experimentId, KeyValue tag, CancellationToken ct);

    /// <summary>Returns false when the tag did not exist.</summary>
    Task<bool> DeleteExperimentTagAsync(long experimentId, string key, CancellationToken ct);

    Task CreateRunAsync(NewRun run, CancellationToken ct);

    Task<RunInfo?> GetRunInfoAsync(string runId, CancellationToken ct);

    Task<Run?> GetRunAsync(string runId, CancellationToken ct);

    Task UpdateRunAsync(string runId, RunUpdate update, CancellationToken ct);

    Task SetRunLifecycleAsync(string runId, string stage, long now, CancellationToken ct);

    /// <summary>
    /// Writes params (write-once: a different value for an existing key throws), metrics and tags
    /// in one transaction, and moves the latest-metric table forward.
    /// </summary>
    Task LogBatchAsync(string runId, RunBatch batch, CancellationToken ct);

    /// <summary>Returns false when the tag did not exist.</summary>
    Task<bool> DeleteRunTagAsync(string runId, string key, CancellationToken ct);

    Task LogInputsAsync(string runId, long experimentId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct);

    /// <summary>
    /// History ordered by (timestamp, step, value), streamed; with <paramref name="after"/>, only
    /// the points strictly after that one, so paging costs the page and not the pages before it.
    /// </summary>
    IAsyncEnumerable<Metric> GetMetricHistoryAsync(string runId, string key, Metric? after, int? limit, CancellationToken ct);

    /// <summary>Every point of one metric over several runs, optionally within a step range.</summary>
    Task<IReadOnlyList<MetricWithRunId>> GetMetricPointsAsync(
        IReadOnlyList<string> runIds, string key, long? startStep, long? endStep, CancellationToken ct);

    Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct);
}
