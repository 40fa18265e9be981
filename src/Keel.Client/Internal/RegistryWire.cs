using System.Text.Json.Serialization;

namespace Keel.Client.Internal;

// Registry wire shapes (reference §3.1, §3.2).

internal sealed record AliasDto(string? Alias, [property: JsonConverter(typeof(LenientStringConverter))] string? Version);

internal sealed record ModelVersionDto
{
    public string? Name { get; init; }

    [JsonConverter(typeof(LenientStringConverter))]
    public string? Version { get; init; }

    public long? CreationTimestamp { get; init; }

    public long? LastUpdatedTimestamp { get; init; }

    public string? Description { get; init; }

    public string? Source { get; init; }

    public string? RunId { get; init; }

    public string? CurrentStage { get; init; }

    public string? Status { get; init; }

    public List<KeyValueDto>? Tags { get; init; }

    public string? RunLink { get; init; }

    public List<string>? Aliases { get; init; }
}

internal sealed record RegisteredModelDto
{
    public string? Name { get; init; }

    public long? CreationTimestamp { get; init; }

    public long? LastUpdatedTimestamp { get; init; }

    public string? Description { get; init; }

    public List<ModelVersionDto>? LatestVersions { get; init; }

    public List<KeyValueDto>? Tags { get; init; }

    public List<AliasDto>? Aliases { get; init; }
}

internal sealed record RegistryChangeDto
{
    public string? Name { get; init; }

    public string? Kind { get; init; }

    public string? Alias { get; init; }

    public string? Stage { get; init; }

    public string? OldVersion { get; init; }

    public string? NewVersion { get; init; }

    public string? PreviousStage { get; init; }

    public long? Timestamp { get; init; }

    public string? UserId { get; init; }
}

internal sealed record CreateRegisteredModelRequest(string Name, string? Description, List<KeyValueDto>? Tags);

internal sealed record RegisteredModelResponse(RegisteredModelDto? RegisteredModel);

internal sealed record SearchRegisteredModelsResponse(List<RegisteredModelDto>? RegisteredModels, string? NextPageToken);

internal sealed record CreateModelVersionRequest(string Name, string Source, string? RunId, string? Description, List<KeyValueDto>? Tags);

internal sealed record ModelVersionResponse(ModelVersionDto? ModelVersion);

internal sealed record ModelVersionsResponse(List<ModelVersionDto>? ModelVersions, string? NextPageToken);

internal sealed record DownloadUriResponse(string? ArtifactUri);

internal sealed record SetAliasRequest(string Name, string Alias, string Version);

internal sealed record DeleteAliasRequest(string Name, string Alias);

internal sealed record TransitionStageRequest(string Name, string Version, string Stage, bool ArchiveExistingVersions);

internal sealed record NameRequest(string Name);

internal sealed record ModelVersionKeyRequest(string Name, string Version);

internal sealed record SetRegistryTagRequest(string Name, string? Version, string Key, string Value);

internal sealed record AliasHistoryResponse(List<RegistryChangeDto>? History);

internal sealed record LatestVersionsRequest(string Name, string[] Stages);

internal sealed record LogModelRequest(string RunId, string ModelJson);
