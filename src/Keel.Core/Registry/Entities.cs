using Keel.Core.Tracking;

namespace Keel.Core.Registry;

/// <summary>An alias of a registered model and the version it points at (reference §3.1).</summary>
public sealed record RegisteredModelAlias(string Alias, long Version);

/// <summary>A registered model with its latest version per stage, tags and aliases (reference §3.1).</summary>
public sealed record RegisteredModel(
    string Name,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? Description,
    IReadOnlyList<ModelVersion> LatestVersions,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<RegisteredModelAlias> Aliases);

/// <summary>One version of a registered model (reference §3.1). Status is always READY, as in MLflow OSS.</summary>
public sealed record ModelVersion(
    string Name,
    long Version,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? Description,
    string? UserId,
    string CurrentStage,
    string Source,
    string? RunId,
    string Status,
    string? StatusMessage,
    IReadOnlyList<KeyValue> Tags,
    string? RunLink,
    IReadOnlyList<string> Aliases);

/// <summary>What a store needs to create a version; the number is assigned by the store.</summary>
/// <param name="StorageLocation">Where the files are: the source, or what a `models:/` source resolves to.</param>
public sealed record NewModelVersion(
    string Name,
    string Source,
    string StorageLocation,
    string? RunId,
    string? RunLink,
    string? Description,
    IReadOnlyList<KeyValue> Tags,
    long Now,
    string? UserId);

/// <summary>Whether a history entry records an alias move or a stage transition.</summary>
public enum RegistryChangeKind
{
    Alias,
    Stage,
}

/// <summary>
/// One alias move or stage transition, kept for ever (beyond MLflow; mlflow#2169). For an alias,
/// <see cref="Key"/> is the alias and the versions are where it pointed before and after (null: unset).
/// For a stage, <see cref="Key"/> is the target stage, <see cref="NewVersion"/> the version moved into it,
/// <see cref="OldVersion"/> the version `models:/NAME/STAGE` resolved to before, and
/// <see cref="PreviousStage"/> the stage the moved version left.
/// </summary>
public sealed record RegistryChange(
    string Name,
    RegistryChangeKind Kind,
    string Key,
    long? OldVersion,
    long? NewVersion,
    string? PreviousStage,
    long Timestamp,
    string? UserId);

/// <summary>Outcome of a store write addressed to a model version.</summary>
public enum VersionWrite
{
    Done,
    ModelMissing,
    VersionMissing,
}
