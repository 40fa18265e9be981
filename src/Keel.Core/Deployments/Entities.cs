namespace Keel.Core.Deployments;

/// <summary>One way into a deployment: a model URI and its share of the traffic.</summary>
/// <param name="Name">Stable within the deployment (`primary`, `canary`); reported with every prediction.</param>
/// <param name="ModelUri">`models:/NAME/VERSION`, `models:/NAME@ALIAS` (followed: moving the alias moves the traffic), a stage, or `runs:/`.</param>
/// <param name="Weight">Relative weight; the route's share is its weight over the sum of all weights.</param>
public sealed record RouteSpec(string Name, string ModelUri, double Weight);

/// <summary>A model that gets a copy of a share of the live requests, off the critical path.</summary>
/// <param name="Share">Fraction of requests copied to it, (0, 1].</param>
public sealed record ShadowSpec(string ModelUri, double Share);

/// <summary>Where predictions are logged for monitoring: the share of requests kept and for how long.</summary>
public sealed record InferenceLogSpec(double SampleRate, int RetentionDays)
{
    public static readonly InferenceLogSpec Default = new(1.0, 30);
}

/// <summary>Adaptive micro-batching: concurrent requests are scored together, up to a size or a wait.</summary>
public sealed record BatchingSpec(int MaxBatchSize, double MaxWaitMs);

/// <summary>One step of a progressive rollout: the new model's share, held for a time or a request count.</summary>
/// <param name="Weight">The new model's share in percent, (0, 100].</param>
public sealed record RolloutStep(double Weight, double? HoldSeconds, long? HoldRequests);

/// <summary>When a rollout step may go on: the new model against the current one over the step.</summary>
/// <param name="MaxErrorRateIncrease">Largest allowed new error rate minus current error rate (server errors only).</param>
/// <param name="MaxP99Ratio">Largest allowed new p99 latency over the current one.</param>
/// <param name="MinRequests">Requests the new model must have answered in a step before the gate is judged.</param>
public sealed record RolloutGates(double MaxErrorRateIncrease, double MaxP99Ratio, long MinRequests)
{
    public static readonly RolloutGates Default = new(0.01, 1.5, 50);
}

/// <summary>A progressive rollout of <see cref="ModelUri"/> over the deployment's current routes.</summary>
public sealed record RolloutSpec(string ModelUri, IReadOnlyList<RolloutStep> Steps, RolloutGates Gates);

/// <summary>Everything a revision of a deployment fixes.</summary>
public sealed record DeploymentSpec(
    IReadOnlyList<RouteSpec> Routes,
    ShadowSpec? Shadow,
    string? StickyHeader,
    InferenceLogSpec InferenceLog,
    BatchingSpec? Batching);

/// <summary>Where a running rollout stands; stored with the deployment so a restart resumes it.</summary>
/// <param name="Baseline">The routes before the rollout began: what a failed gate returns to.</param>
/// <param name="Step">Index of the current step in <see cref="RolloutSpec.Steps"/>.</param>
/// <param name="Status">`running`, `succeeded`, `rolled_back` or `aborted`.</param>
public sealed record RolloutState(RolloutSpec Spec, IReadOnlyList<RouteSpec> Baseline, int Step, long StepStartedTime, string Status)
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string RolledBack = "rolled_back";
    public const string Aborted = "aborted";

    /// <summary>The route name the new model takes during a rollout.</summary>
    public const string CandidateRoute = "rollout";
}

/// <summary>A deployment as it stands: its current revision's spec and any rollout in progress.</summary>
public sealed record Deployment(
    string Name,
    string? Description,
    long Revision,
    DeploymentSpec Spec,
    RolloutState? Rollout,
    long CreationTime,
    long LastUpdatedTime);

/// <summary>Every change of a deployment is a revision; rollback applies an earlier one again.</summary>
/// <param name="Kind">`create`, `update`, `rollback`, `rollout_start`, `rollout_step`, `rollout_done`, `auto_rollback`, `rollout_abort`.</param>
/// <param name="Versions">The model versions the routes resolved to when the revision was applied (`route=name/version`).</param>
public sealed record DeploymentRevision(
    string Name,
    long Revision,
    DeploymentSpec Spec,
    string Kind,
    string? Message,
    string? User,
    long Time,
    IReadOnlyList<string> Versions);

/// <summary>A decision recorded for a deployment (a rollout gate judged, an alias followed, a failed load).</summary>
public sealed record DeploymentEvent(string Name, long Time, long Revision, string Kind, string Message);

/// <summary>A deployment with its history, newest first.</summary>
public sealed record DeploymentHistory(IReadOnlyList<DeploymentRevision> Revisions, IReadOnlyList<DeploymentEvent> Events);
