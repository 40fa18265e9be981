using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Client.Internal;

// Wire shapes of the MLflow REST protocol (reference §2). Property names become snake_case;
// unset fields are omitted (reference §1.3); int64 values may arrive as strings and doubles as
// "NaN"/"Infinity"/"-Infinity" (reference §1.2), which the serializer options below accept and
// write. These types stay internal so the public records do not carry wire details.

internal sealed record KeyValueDto(string? Key, string? Value);

internal sealed record ExperimentDto
{
    [JsonConverter(typeof(LenientStringConverter))]
    public string? ExperimentId { get; init; }

    public string? Name { get; init; }

    public string? ArtifactLocation { get; init; }

    public string? LifecycleStage { get; init; }

    public long? LastUpdateTime { get; init; }

    public long? CreationTime { get; init; }

    public List<KeyValueDto>? Tags { get; init; }
}

internal sealed record MetricDto
{
    public string? Key { get; init; }

    public double Value { get; init; }

    public long Timestamp { get; init; }

    public long? Step { get; init; }
}

internal sealed record RunInfoDto
{
    public string? RunId { get; init; }

    public string? RunUuid { get; init; }

    public string? RunName { get; init; }

    [JsonConverter(typeof(LenientStringConverter))]
    public string? ExperimentId { get; init; }

    public string? UserId { get; init; }

    // Enums arrive as names ("RUNNING"); numbers are accepted too (reference §1.2).
    [JsonConverter(typeof(LenientStringConverter))]
    public string? Status { get; init; }

    public long? StartTime { get; init; }

    public long? EndTime { get; init; }

    public string? ArtifactUri { get; init; }

    public string? LifecycleStage { get; init; }
}

internal sealed record RunDataDto
{
    public List<MetricDto>? Metrics { get; init; }

    public List<KeyValueDto>? Params { get; init; }

    public List<KeyValueDto>? Tags { get; init; }
}

internal sealed record RunDto
{
    public RunInfoDto? Info { get; init; }

    public RunDataDto? Data { get; init; }
}

internal sealed record FileInfoDto
{
    public string? Path { get; init; }

    public bool? IsDir { get; init; }

    public long? FileSize { get; init; }
}

internal sealed record ErrorDto
{
    public string? ErrorCode { get; init; }

    public string? Message { get; init; }
}

internal sealed record EmptyDto;

internal sealed record CreateExperimentRequest(string Name, string? ArtifactLocation, List<KeyValueDto>? Tags);

internal sealed record CreateExperimentResponse
{
    [JsonConverter(typeof(LenientStringConverter))]
    public string? ExperimentId { get; init; }
}

internal sealed record ExperimentResponse(ExperimentDto? Experiment);

internal sealed record SearchExperimentsRequest(
    long? MaxResults, string? PageToken, string? Filter, List<string>? OrderBy, string? ViewType);

internal sealed record SearchExperimentsResponse(List<ExperimentDto>? Experiments, string? NextPageToken);

internal sealed record ExperimentIdRequest(string ExperimentId);

internal sealed record UpdateExperimentRequest(string ExperimentId, string NewName);

internal sealed record SetExperimentTagRequest(string ExperimentId, string Key, string Value);

internal sealed record DeleteExperimentTagRequest(string ExperimentId, string Key);

internal sealed record CreateRunRequest(
    string ExperimentId, string? UserId, string? RunName, long? StartTime, List<KeyValueDto>? Tags);

internal sealed record RunResponse(RunDto? Run);

internal sealed record UpdateRunRequest(string RunId, string? Status, long? EndTime, string? RunName);

internal sealed record UpdateRunResponse(RunInfoDto? RunInfo);

internal sealed record RunIdRequest(string RunId);

internal sealed record SearchRunsRequest(
    List<string> ExperimentIds, string? Filter, string? RunViewType, int? MaxResults, List<string>? OrderBy, string? PageToken);

internal sealed record SearchRunsResponse(List<RunDto>? Runs, string? NextPageToken);

internal sealed record LogMetricRequest(string RunId, string Key, double Value, long Timestamp, long Step);

internal sealed record LogParamRequest(string RunId, string Key, string Value);

internal sealed record SetTagRequest(string RunId, string Key, string Value);

internal sealed record DeleteTagRequest(string RunId, string Key);

internal sealed record LogBatchRequest(
    string RunId, List<MetricDto>? Metrics, List<KeyValueDto>? Params, List<KeyValueDto>? Tags);

internal sealed record MetricHistoryResponse(List<MetricDto>? Metrics, string? NextPageToken);

internal sealed record ListArtifactsResponse(string? RootUri, List<FileInfoDto>? Files, string? NextPageToken);

/// <summary>Reads a string field that a lenient server may send as a number (ids, enum numbers).</summary>
internal sealed class LenientStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(
                reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"Expected a string or a number, got {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ErrorDto))]
[JsonSerializable(typeof(EmptyDto))]
[JsonSerializable(typeof(CreateExperimentRequest))]
[JsonSerializable(typeof(CreateExperimentResponse))]
[JsonSerializable(typeof(ExperimentResponse))]
[JsonSerializable(typeof(SearchExperimentsRequest))]
[JsonSerializable(typeof(SearchExperimentsResponse))]
[JsonSerializable(typeof(ExperimentIdRequest))]
[JsonSerializable(typeof(UpdateExperimentRequest))]
[JsonSerializable(typeof(SetExperimentTagRequest))]
[JsonSerializable(typeof(DeleteExperimentTagRequest))]
[JsonSerializable(typeof(CreateRunRequest))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(UpdateRunRequest))]
[JsonSerializable(typeof(UpdateRunResponse))]
[JsonSerializable(typeof(RunIdRequest))]
[JsonSerializable(typeof(SearchRunsRequest))]
[JsonSerializable(typeof(SearchRunsResponse))]
[JsonSerializable(typeof(LogMetricRequest))]
[JsonSerializable(typeof(LogParamRequest))]
[JsonSerializable(typeof(SetTagRequest))]
[JsonSerializable(typeof(DeleteTagRequest))]
[JsonSerializable(typeof(LogBatchRequest))]
[JsonSerializable(typeof(MetricHistoryResponse))]
[JsonSerializable(typeof(ListArtifactsResponse))]
[JsonSerializable(typeof(CreateRegisteredModelRequest))]
[JsonSerializable(typeof(RegisteredModelResponse))]
[JsonSerializable(typeof(SearchRegisteredModelsResponse))]
[JsonSerializable(typeof(CreateModelVersionRequest))]
[JsonSerializable(typeof(ModelVersionResponse))]
[JsonSerializable(typeof(ModelVersionsResponse))]
[JsonSerializable(typeof(DownloadUriResponse))]
[JsonSerializable(typeof(SetAliasRequest))]
[JsonSerializable(typeof(DeleteAliasRequest))]
[JsonSerializable(typeof(TransitionStageRequest))]
[JsonSerializable(typeof(NameRequest))]
[JsonSerializable(typeof(ModelVersionKeyRequest))]
[JsonSerializable(typeof(SetRegistryTagRequest))]
[JsonSerializable(typeof(AliasHistoryResponse))]
[JsonSerializable(typeof(LatestVersionsRequest))]
[JsonSerializable(typeof(LogModelRequest))]
internal sealed partial class WireJson : JsonSerializerContext;
