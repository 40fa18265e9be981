namespace Keel.Client.Internal;

/// <summary>Wire shapes to public records and back; timestamps are int64 milliseconds on the wire (reference §1.6).</summary>
internal static class Mapping
{
    public static DateTimeOffset? ToTime(long? milliseconds) =>
        milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static long ToMilliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static string ToWire(RunStatus status) => status switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Scheduled => "SCHEDULED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        RunStatus.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown run status."),
    };

    public static RunStatus ToRunStatus(string? wire) => wire switch
    {
        "RUNNING" or "1" => RunStatus.Running,
        "SCHEDULED" or "2" => RunStatus.Scheduled,
        "FINISHED" or "3" => RunStatus.Finished,
        "FAILED" or "4" => RunStatus.Failed,
        "KILLED" or "5" => RunStatus.Killed,
        // An unknown or missing status is most likely a run still in progress on a newer server.
        _ => RunStatus.Running,
    };

    public static string ToWire(ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => "ACTIVE_ONLY",
        ViewType.DeletedOnly => "DELETED_ONLY",
        ViewType.All => "ALL",
        _ => throw new ArgumentOutOfRangeException(nameof(viewType), viewType, "Unknown view type."),
    };

    public static Experiment ToExperiment(ExperimentDto dto) => new(
        dto.ExperimentId ?? "",
        dto.Name ?? "",
        dto.ArtifactLocation ?? "",
        dto.LifecycleStage ?? "active",
        ToTime(dto.CreationTime),
        ToTime(dto.LastUpdateTime),
        ToDictionary(dto.Tags));

    public static RunInfo ToRunInfo(RunInfoDto dto) => new(
        dto.RunId ?? dto.RunUuid ?? "",
        dto.RunName,
        dto.ExperimentId ?? "",
        dto.UserId,
        ToRunStatus(dto.Status),
        ToTime(dto.StartTime),
        ToTime(dto.EndTime),
        dto.ArtifactUri ?? "",
        dto.LifecycleStage ?? "active");

    public static Run ToRun(RunDto dto)
    {
        var metrics = new Dictionary<string, Metric>(StringComparer.Ordinal);
        foreach (var m in dto.Data?.Metrics ?? [])
        {
            var metric = ToMetric(m);
            metrics[metric.Key] = metric;
        }

        var data = new RunData(metrics, ToDictionary(dto.Data?.Params), ToDictionary(dto.Data?.Tags));
        return new Run(ToRunInfo(dto.Info ?? new RunInfoDto()), data);
    }

    public static Metric ToMetric(MetricDto dto) =>
        new(dto.Key ?? "", dto.Value, DateTimeOffset.FromUnixTimeMilliseconds(dto.Timestamp), dto.Step ?? 0);

    public static MetricDto ToDto(Metric metric) =>
        new() { Key = metric.Key, Value = metric.Value, Timestamp = ToMilliseconds(metric.Timestamp), Step = metric.Step };

    public static ArtifactFileInfo ToFileInfo(FileInfoDto dto) =>
        new(dto.Path ?? "", dto.IsDir ?? false, dto.IsDir == true ? null : dto.FileSize);

    public static List<KeyValueDto>? ToDtos(IEnumerable<KeyValuePair<string, string>>? pairs)
    {
        if (pairs is null)
        {
            return null;
        }

        var list = pairs.Select(p => new KeyValueDto(p.Key, p.Value)).ToList();
        return list.Count == 0 ? null : list;
    }

    public static List<KeyValueDto>? ToDtos(IEnumerable<KeyValue>? pairs)
    {
        if (pairs is null)
        {
            return null;
        }

        var list = pairs.Select(p => new KeyValueDto(p.Key, p.Value)).ToList();
        return list.Count == 0 ? null : list;
    }

    public static Dictionary<string, string> ToDictionary(List<KeyValueDto>? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            if (pair.Key is not null)
            {
                result[pair.Key] = pair.Value ?? "";
            }
        }

        return result;
    }
}
