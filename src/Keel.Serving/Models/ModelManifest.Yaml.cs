using System.Globalization;
using Keel.Core.Errors;
using Keel.Serving.Internal;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keel.Serving.Models;

public sealed partial class ModelManifest
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss.ffffff";

    /// <summary>Parses MLmodel YAML text; a malformed file or field is a KeelException naming it.</summary>
    public static ModelManifest Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw KeelException.Invalid($"{FileName} is not valid YAML (line {ex.Start.Line}): {ex.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw KeelException.Invalid($"{FileName} must be a YAML mapping with keys such as flavors, run_id and signature.");
        }

        var manifest = new ModelManifest();
        foreach (var (key, value) in YamlValues.FromMapping(root))
        {
            switch (key)
            {
                case "artifact_path":
                    manifest.ArtifactPath = Text(value, key);
                    break;
                case "run_id":
                    manifest.RunId = Text(value, key);
                    break;
                case "model_uuid":
                    manifest.ModelUuid = Text(value, key);
                    break;
                case "model_id":
                    manifest.ModelId = Text(value, key);
                    break;
                case "mlflow_version":
                    manifest.MlflowVersion = Text(value, key);
                    break;
                case "utc_time_created":
                    manifest.UtcTimeCreated = Time(value);
                    break;
                case "model_size_bytes":
                    manifest.ModelSizeBytes = value is null ? null
                        : value is long size ? size
                        : throw KeelException.Invalid($"{FileName} field 'model_size_bytes' must be an integer, got '{value}'.");
                    break;
                case "metadata":
                    manifest.Metadata = value is null ? null : Map(value, key);
                    break;
                case "flavors":
                    foreach (var (flavor, config) in Map(value, key))
                    {
                        manifest.Flavors[flavor] = config is null ? new(StringComparer.Ordinal) : Map(config, $"flavors.{flavor}");
                    }

                    break;
                case "signature":
                    manifest.Signature = value is null ? null : ReadSignature(Map(value, key));
                    break;
                case "saved_input_example_info":
                    manifest.SavedInputExampleInfo = value is null ? null : ReadInputExampleInfo(Map(value, key));
                    break;
                default:
                    manifest.AdditionalFields[key] = value;
                    break;
            }
        }

        if (manifest.Flavors.Count == 0)
        {
            throw KeelException.Invalid($"{FileName} has no flavors; an MLflow model names at least one flavor that can load it.");
        }

        return manifest;
    }

    /// <summary>The MLmodel YAML text: MLflow's keys, sorted as PyYAML sorts them, unknown keys kept.</summary>
    public string ToYaml() => YamlValues.Write(YamlValues.ToMapping(ToMap()));

    /// <summary>
    /// The manifest as MLflow's <c>Model.to_json()</c>: what <c>runs/log-model</c> takes as
    /// <c>model_json</c> and keeps in the run's <c>mlflow.log-model.history</c> tag.
    /// </summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(ToMap());

    private Dictionary<string, object?> ToMap()
    {
        var map = new Dictionary<string, object?>(AdditionalFields, StringComparer.Ordinal);
        SetIfPresent(map, "artifact_path", ArtifactPath);
        SetIfPresent(map, "run_id", RunId);
        SetIfPresent(map, "model_uuid", ModelUuid);
        SetIfPresent(map, "model_id", ModelId);
        SetIfPresent(map, "mlflow_version", MlflowVersion);
        SetIfPresent(map, "utc_time_created", UtcTimeCreated?.ToString(TimeFormat, CultureInfo.InvariantCulture));
        SetIfPresent(map, "model_size_bytes", ModelSizeBytes);
        SetIfPresent(map, "metadata", Metadata);
        map["flavors"] = Flavors.ToDictionary(f => f.Key, f => (object?)f.Value, StringComparer.Ordinal);
        if (Signature is { } signature)
        {
            map["signature"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["inputs"] = signature.Inputs?.ToJson(),
                ["outputs"] = signature.Outputs?.ToJson(),
                ["params"] = signature.Params?.ToJson(),
            };
        }

        if (SavedInputExampleInfo is { } info)
        {
            var example = new Dictionary<string, object?>(info.AdditionalFields, StringComparer.Ordinal);
            SetIfPresent(example, "artifact_path", info.ArtifactPath);
            SetIfPresent(example, "type", info.Type);
            SetIfPresent(example, "pandas_orient", info.PandasOrient);
            SetIfPresent(example, "serving_input_path", info.ServingInputPath);
            map["saved_input_example_info"] = example;
        }

        return map;
    }

    private static ModelSignature ReadSignature(Dictionary<string, object?> map)
    {
        string? Json(string key) => map.TryGetValue(key, out var value) && value is not null
            ? value as string ?? throw KeelException.Invalid($"{FileName} field 'signature.{key}' must be a JSON string, as MLflow writes it.")
            : null;

        var inputs = Json("inputs");
        var outputs = Json("outputs");
        var parameters = Json("params");
        return new ModelSignature(
            inputs is null ? null : Schema.Parse(inputs, "signature.inputs"),
            outputs is null ? null : Schema.Parse(outputs, "signature.outputs"),
            parameters is null ? null : ParamSchema.Parse(parameters));
    }

    private static InputExampleInfo ReadInputExampleInfo(Dictionary<string, object?> map)
    {
        var info = new InputExampleInfo();
        foreach (var (key, value) in map)
        {
            var field = "saved_input_example_info." + key;
            switch (key)
            {
                case "artifact_path":
                    info.ArtifactPath = Text(value, field);
                    break;
                case "type":
                    info.Type = Text(value, field);
                    break;
                case "pandas_orient":
                    info.PandasOrient = Text(value, field);
                    break;
                case "serving_input_path":
                    info.ServingInputPath = Text(value, field);
                    break;
                default:
                    info.AdditionalFields[key] = value;
                    break;
            }
        }

        return info;
    }

    private static string? Text(object? value, string field) => value switch
    {
        null => null,
        string text => text,
        long or double or bool => Convert.ToString(value, CultureInfo.InvariantCulture),
        _ => throw KeelException.Invalid($"{FileName} field '{field}' must be a string, not a list or a mapping."),
    };

    private static DateTime? Time(object? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value as string ?? "";
        return DateTime.TryParseExact(
                text,
                [TimeFormat, "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss"],
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var time)
            ? time
            : throw KeelException.Invalid($"{FileName} field 'utc_time_created' must look like 'YYYY-MM-DD HH:MM:SS.ffffff', got '{value}'.");
    }

    private static Dictionary<string, object?> Map(object? value, string field) =>
        value as Dictionary<string, object?>
        ?? throw KeelException.Invalid($"{FileName} field '{field}' must be a mapping of keys to values.");

    private static void SetIfPresent(Dictionary<string, object?> map, string key, object? value)
    {
        if (value is not null)
        {
            map[key] = value;
        }
    }
}
