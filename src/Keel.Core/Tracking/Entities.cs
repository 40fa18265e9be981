namespace Keel.Core.Tracking;

/// <summary>Lifecycle stages as MLflow spells them on the wire.</summary>
public static class LifecycleStage
{
    public const string Active = "active";
    public const string Deleted = "deleted";
}

/// <summary>Which lifecycle stages a search returns (MLflow's ViewType).</summary>
public enum ViewType
{
    ActiveOnly = 1,
    DeletedOnly = 2,
    All = 3,
}

/// <summary>MLflow's RunStatus enum; numbers match the proto.</summary>
public enum RunStatus
{
    RUNNING = 1,
    SCHEDULED = 2,
    FINISHED = 3,
    FAILED = 4,
    KILLED = 5,
}

public sealed record KeyValue(string Key, string Value);

public sealed record Experiment(
    long ExperimentId,
    string Name,
    string ArtifactLocation,
    string LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyList<KeyValue> Tags);

/// <summary>A metric point. NaN is kept as NaN in memory; the stores persist it with a flag.</summary>
public sealed record Metric(string Key, double Value, long Timestamp, long Step);

public sealed record MetricWithRunId(string RunId, string Key, double Value, long Timestamp, long Step);

public sealed record RunInfo(
    string RunId,
    string? RunName,
    long ExperimentId,
    string? UserId,
    RunStatus Status,
    long? StartTime,
    long? EndTime,
    string ArtifactUri,
    string LifecycleStage);

public sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

public sealed record DatasetInput(Dataset Dataset, IReadOnlyList<KeyValue> Tags);

public sealed record Run(
    RunInfo Info,
    IReadOnlyList<Metric> Metrics,
    IReadOnlyList<KeyValue> Params,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<DatasetInput> Inputs);

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);

public static class ReservedTags
{
    public const string RunName = "mlflow.runName";
    public const string User = "mlflow.user";
    public const string LogModelHistory = "mlflow.log-model.history";
    public const string DataContext = "mlflow.data.context";
}
