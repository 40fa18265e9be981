namespace Keel.Client;

/// <summary>A registered model: a named series of versions (MLflow's <c>RegisteredModel</c>).</summary>
/// <param name="Name">The unique, case-sensitive name.</param>
/// <param name="CreationTime">When it was created.</param>
/// <param name="LastUpdatedTime">When it, or one of its versions, last changed.</param>
/// <param name="Description">The description, if any.</param>
/// <param name="LatestVersions">The highest version of each stage.</param>
/// <param name="Tags">The model's tags by key.</param>
/// <param name="Aliases">Alias → version number.</param>
public sealed record RegisteredModel(
    string Name,
    DateTimeOffset? CreationTime,
    DateTimeOffset? LastUpdatedTime,
    string? Description,
    IReadOnlyList<ModelVersion> LatestVersions,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, string> Aliases);

/// <summary>One version of a registered model (MLflow's <c>ModelVersion</c>).</summary>
/// <param name="Name">The registered model's name.</param>
/// <param name="Version">The version number (a decimal string on the wire, as in MLflow).</param>
/// <param name="CreationTime">When it was created.</param>
/// <param name="LastUpdatedTime">When it last changed.</param>
/// <param name="Description">The description, if any.</param>
/// <param name="Source">Where it was registered from (a <c>runs:/</c>, <c>models:/</c> or artifact URI).</param>
/// <param name="RunId">The run that produced it, if known.</param>
/// <param name="CurrentStage"><c>None</c>, <c>Staging</c>, <c>Production</c> or <c>Archived</c>.</param>
/// <param name="Status"><c>READY</c> once registered.</param>
/// <param name="Tags">The version's tags by key.</param>
/// <param name="RunLink">A link to the run, if one was given.</param>
/// <param name="Aliases">The aliases pointing at this version.</param>
public sealed record ModelVersion(
    string Name,
    string Version,
    DateTimeOffset? CreationTime,
    DateTimeOffset? LastUpdatedTime,
    string? Description,
    string Source,
    string? RunId,
    string CurrentStage,
    string Status,
    IReadOnlyDictionary<string, string> Tags,
    string? RunLink,
    IReadOnlyList<string> Aliases);

/// <summary>One alias move or stage transition of a registered model (Keel's history; not in MLflow).</summary>
/// <param name="Name">The registered model.</param>
/// <param name="Kind"><c>alias</c> or <c>stage</c>.</param>
/// <param name="Target">The alias, or the stage moved into.</param>
/// <param name="OldVersion">Alias: where it pointed before (<see langword="null"/> when newly set). Stage: the version the stage's latest was before.</param>
/// <param name="NewVersion">Alias: where it points now (<see langword="null"/> when removed). Stage: the version moved in.</param>
/// <param name="PreviousStage">Stage: the stage the moved version left.</param>
/// <param name="Time">When it happened.</param>
/// <param name="UserId">Who did it, once users exist.</param>
public sealed record RegistryChange(
    string Name,
    string Kind,
    string Target,
    string? OldVersion,
    string? NewVersion,
    string? PreviousStage,
    DateTimeOffset Time,
    string? UserId);
