namespace Keel.Client;

/// <summary>The state of a run (MLflow's <c>RunStatus</c>; the numbers match the protocol).</summary>
public enum RunStatus
{
    /// <summary>The run is in progress.</summary>
    Running = 1,

    /// <summary>The run is scheduled but has not started.</summary>
    Scheduled = 2,

    /// <summary>The run ended successfully.</summary>
    Finished = 3,

    /// <summary>The run ended with an error.</summary>
    Failed = 4,

    /// <summary>The run was stopped before it ended (for example cancelled).</summary>
    Killed = 5,
}

/// <summary>Which lifecycle stages a search returns (MLflow's <c>ViewType</c>).</summary>
public enum ViewType
{
    /// <summary>Only active (not deleted) entities; the default.</summary>
    ActiveOnly = 1,

    /// <summary>Only deleted entities.</summary>
    DeletedOnly = 2,

    /// <summary>Active and deleted entities.</summary>
    All = 3,
}

/// <summary>A key and a value: a run parameter, a run tag or an experiment tag.</summary>
/// <param name="Key">The name.</param>
/// <param name="Value">The value (parameters and tags are strings on the wire).</param>
public sealed record KeyValue(string Key, string Value);

/// <summary>One point of a metric series.</summary>
/// <param name="Key">The metric name.</param>
/// <param name="Value">The value; NaN and ±infinity are allowed (the server clamps infinities to ±<see cref="double.MaxValue"/>).</param>
/// <param name="Timestamp">When the value was measured (millisecond precision on the wire).</param>
/// <param name="Step">The training step; 0 when not given.</param>
public sealed record Metric(string Key, double Value, DateTimeOffset Timestamp, long Step);

/// <summary>An experiment: a named group of runs.</summary>
/// <param name="ExperimentId">The identifier (a decimal number rendered as a string; the default experiment is "0").</param>
/// <param name="Name">The unique name.</param>
/// <param name="ArtifactLocation">Where the runs of this experiment store artifacts, e.g. <c>mlflow-artifacts:/1</c>.</param>
/// <param name="LifecycleStage"><c>active</c> or <c>deleted</c>.</param>
/// <param name="CreationTime">When the experiment was created, if the server said.</param>
/// <param name="LastUpdateTime">When the experiment was last changed, if the server said.</param>
/// <param name="Tags">The experiment tags by key.</param>
public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    string LifecycleStage,
    DateTimeOffset? CreationTime,
    DateTimeOffset? LastUpdateTime,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>The metadata of a run.</summary>
/// <param name="RunId">The identifier: 32 lowercase hexadecimal characters.</param>
/// <param name="RunName">The display name (the <c>mlflow.runName</c> tag), if any.</param>
/// <param name="ExperimentId">The experiment the run belongs to.</param>
/// <param name="UserId">Who created the run, if known.</param>
/// <param name="Status">The run's state.</param>
/// <param name="StartTime">When the run started, if known.</param>
/// <param name="EndTime">When the run ended; <see langword="null"/> while it has not.</param>
/// <param name="ArtifactUri">The root of the run's artifacts, e.g. <c>mlflow-artifacts:/1/&lt;run_id&gt;/artifacts</c>.</param>
/// <param name="LifecycleStage"><c>active</c> or <c>deleted</c>.</param>
public sealed record RunInfo(
    string RunId,
    string? RunName,
    string ExperimentId,
    string? UserId,
    RunStatus Status,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string ArtifactUri,
    string LifecycleStage);

/// <summary>What a run has logged.</summary>
/// <param name="Metrics">The latest value of each metric by key (highest step, then latest timestamp, then largest value).</param>
/// <param name="Params">The parameters by key.</param>
/// <param name="Tags">The tags by key, including system tags such as <c>mlflow.runName</c>.</param>
public sealed record RunData(
    IReadOnlyDictionary<string, Metric> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>A run: its metadata and what it logged.</summary>
/// <param name="Info">The metadata.</param>
/// <param name="Data">The latest metrics, the parameters and the tags.</param>
public sealed record Run(RunInfo Info, RunData Data);

/// <summary>An entry of an artifact listing (MLflow's <c>FileInfo</c>; renamed so it does not clash with <see cref="System.IO.FileInfo"/>).</summary>
/// <param name="Path">The path relative to the run's artifact root, with <c>/</c> separators.</param>
/// <param name="IsDir">Whether the entry is a folder.</param>
/// <param name="FileSize">The size in bytes; <see langword="null"/> for folders.</param>
public sealed record ArtifactFileInfo(string Path, bool IsDir, long? FileSize);

/// <summary>One page of a search or listing.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page (may be empty even when a token follows).</param>
/// <param name="NextPageToken">The opaque token for the next page; <see langword="null"/> on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);
