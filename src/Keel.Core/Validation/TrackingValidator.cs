using System.Text.RegularExpressions;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Core.Validation;

/// <summary>
/// Checks names, keys, values and batch sizes against <see cref="Limits"/> (reference §4). Throws
/// <see cref="KeelException"/> naming the field and the rule. Pure: no I/O.
/// </summary>
public static partial class TrackingValidator
{
    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex KeyCharacters();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    private static partial Regex RunIdFormat();

    public static void Key(string? key, string what)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw KeelException.Invalid($"Invalid {what} name: ''. Names may not be empty.");
        }

        if (key.Length > Limits.MaxKeyLength)
        {
            throw KeelException.Invalid(
                $"{Capitalize(what)} name '{Shorten(key)}' had length {key.Length}, which exceeded length limit of {Limits.MaxKeyLength}.");
        }

        if (!KeyCharacters().IsMatch(key))
        {
            throw KeelException.Invalid(
                $"Invalid {what} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).");
        }

        if (!IsNormalizedPath(key))
        {
            throw KeelException.Invalid(
                $"Invalid {what} name: '{key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '{NormalizePath(key)}'.");
        }
    }

    public static void RunId(string? runId, string field = "run_id")
    {
        if (string.IsNullOrEmpty(runId))
        {
            throw KeelException.Missing(field);
        }

        if (!RunIdFormat().IsMatch(runId))
        {
            throw KeelException.Invalid($"Invalid value '{Shorten(runId)}' for parameter '{field}': must match {RunIdFormat()}.");
        }
    }

    public static void ExperimentName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw KeelException.Invalid("Invalid experiment name: ''. Experiment names must be non-empty strings.");
        }

        if (name.Length > Limits.MaxExperimentNameLength)
        {
            throw KeelException.Invalid(
                $"Experiment name '{Shorten(name)}' had length {name.Length}, which exceeded length limit of {Limits.MaxExperimentNameLength}.");
        }
    }

    public static void ArtifactLocation(string? location)
    {
        if (location is null)
        {
            return;
        }

        if (location.Length > Limits.MaxArtifactLocationLength)
        {
            throw KeelException.Invalid(
                $"Invalid artifact_location: length {location.Length} exceeds the limit of {Limits.MaxArtifactLocationLength} characters.");
        }

        if (location.StartsWith("runs:", StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"Artifact location cannot be a runs:/ URI. Given: '{location}'");
        }

        if (location.Contains('#', StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"Invalid artifact_location '{location}': a URL fragment ('#') is not allowed.");
        }
    }

    public static void ExperimentTag(KeyValue tag)
    {
        Key(tag.Key, "tag");
        if (tag.Value.Length > Limits.MaxExperimentTagValueLength)
        {
            throw KeelException.Invalid(
                $"Tag value '{Shorten(tag.Value)}' had length {tag.Value.Length}, which exceeded length limit of {Limits.MaxExperimentTagValueLength}.");
        }
    }

    /// <summary>Validates a batch and returns it with over-long values truncated as MLflow does.</summary>
    public static RunBatch Batch(RunBatch batch)
    {
        if (batch.Metrics.Count > Limits.MaxMetricsPerBatch)
        {
            throw KeelException.Invalid(
                $"A batch logging request can contain at most {Limits.MaxMetricsPerBatch} metrics. Got {batch.Metrics.Count} metrics. Please split up metrics across multiple requests and try again.");
        }

        if (batch.Params.Count > Limits.MaxParamsPerBatch)
        {
            throw KeelException.Invalid(
                $"A batch logging request can contain at most {Limits.MaxParamsPerBatch} params. Got {batch.Params.Count} params. Please split up params across multiple requests and try again.");
        }

        if (batch.Tags.Count > Limits.MaxTagsPerBatch)
        {
            throw KeelException.Invalid(
                $"A batch logging request can contain at most {Limits.MaxTagsPerBatch} tags. Got {batch.Tags.Count} tags. Please split up tags across multiple requests and try again.");
        }

        var total = batch.Metrics.Count + batch.Params.Count + batch.Tags.Count;
        if (total > Limits.MaxEntitiesPerBatch)
        {
            throw KeelException.Invalid(
                $"A batch logging request can contain at most {Limits.MaxEntitiesPerBatch} total metrics, params and tags. Got {total} entities. Please split up entities across multiple requests and try again.");
        }

        // A batch usually repeats a few keys many times: check each distinct key once.
        var checkedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in batch.Metrics)
        {
            if (checkedKeys.Add(metric.Key))
            {
                Key(metric.Key, "metric");
            }

            if (metric.Timestamp < 0)
            {
                throw KeelException.Invalid(
                    $"Got invalid timestamp {metric.Timestamp} for metric '{metric.Key}' (value={metric.Value}). Timestamp must be a nonnegative long (64-bit integer).");
            }
        }

        var seenParams = new HashSet<string>(StringComparer.Ordinal);
        var parameters = batch.Params;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            Key(p.Key, "parameter");
            if (!seenParams.Add(p.Key))
            {
                throw KeelException.Invalid(
                    $"Duplicate parameter keys have been submitted: ['{p.Key}']. Please ensure the request contains only one param value per param key.");
            }

            if (p.Value.Length > Limits.MaxParamValueLength)
            {
                parameters = Replace(parameters, i, p with { Value = p.Value[..Limits.MaxParamValueLength] });
            }
        }

        var tags = batch.Tags;
        for (var i = 0; i < tags.Count; i++)
        {
            var t = tags[i];
            Key(t.Key, "tag");
            if (t.Value.Length > Limits.MaxRunTagValueLength)
            {
                tags = Replace(tags, i, t with { Value = t.Value[..Limits.MaxRunTagValueLength] });
            }
        }

        return ReferenceEquals(parameters, batch.Params) && ReferenceEquals(tags, batch.Tags)
            ? batch
            : batch with { Params = parameters, Tags = tags };
    }

    public static void DatasetInputs(IReadOnlyList<DatasetInput> inputs)
    {
        foreach (var input in inputs)
        {
            var d = input.Dataset;
            Required(d.Name, "dataset.name");
            Required(d.Digest, "dataset.digest");
            Required(d.SourceType, "dataset.source_type");
            Required(d.Source, "dataset.source");
            MaxLength(d.Name, Limits.MaxDatasetNameLength, "dataset.name");
            MaxLength(d.Digest, Limits.MaxDatasetDigestLength, "dataset.digest");
            MaxLength(d.Source, Limits.MaxDatasetSourceLength, "dataset.source");
            MaxLength(d.Schema, Limits.MaxDatasetSchemaLength, "dataset.schema");
            MaxLength(d.Profile, Limits.MaxDatasetProfileLength, "dataset.profile");
            foreach (var tag in input.Tags)
            {
                Required(tag.Key, "input_tag.key");
                Required(tag.Value, "input_tag.value");
                MaxLength(tag.Key, Limits.MaxInputTagKeyLength, "input_tag.key");
                MaxLength(tag.Value, Limits.MaxInputTagValueLength, "input_tag.value");
            }
        }
    }

    public static void Required(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw KeelException.Missing(field);
        }
    }

    public static void MaxLength(string? value, int limit, string field)
    {
        if (value is not null && value.Length > limit)
        {
            throw KeelException.Invalid(
                $"'{field}' exceeds the maximum length of {limit} characters (got {value.Length}).");
        }
    }

    private static IReadOnlyList<KeyValue> Replace(IReadOnlyList<KeyValue> list, int index, KeyValue value)
    {
        var copy = list as KeyValue[] ?? [.. list];
        if (ReferenceEquals(copy, list))
        {
            copy = [.. list];
        }

        copy[index] = value;
        return copy;
    }

    private static bool IsNormalizedPath(string key) => string.Equals(NormalizePath(key), key, StringComparison.Ordinal)
        && key != "." && !key.StartsWith("..", StringComparison.Ordinal) && !key.StartsWith('/');

    /// <summary>POSIX normpath: collapses repeated slashes, '.' segments and 'x/..' pairs.</summary>
    private static string NormalizePath(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var absolute = path.StartsWith('/');
        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else if (segment != ".." || !absolute)
            {
                parts.Add(segment);
            }
        }

        var joined = string.Join('/', parts);
        return absolute ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    private static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "...";

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
