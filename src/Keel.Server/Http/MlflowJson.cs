using System.Globalization;
using System.Text.Json;
using Keel.Core.Artifacts;
using Keel.Core.Tracking;

namespace Keel.Server.Http;

/// <summary>
/// Writes MLflow's response shapes (reference §1.3, §2.1): snake_case names, int64 as numbers,
/// enums by name, NaN/±Infinity as strings, unset fields and empty lists omitted.
/// </summary>
public static class MlflowJson
{
    public static void Experiment(Utf8JsonWriter w, Experiment e)
    {
        w.WriteStartObject();
        w.WriteString("experiment_id", e.ExperimentId.ToString(CultureInfo.InvariantCulture));
        w.WriteString("name", e.Name);
        w.WriteString("artifact_location", e.ArtifactLocation);
        w.WriteString("lifecycle_stage", e.LifecycleStage);
        w.WriteNumber("last_update_time", e.LastUpdateTime);
        w.WriteNumber("creation_time", e.CreationTime);
        KeyValues(w, "tags", e.Tags);
        w.WriteEndObject();
    }

    public static void Run(Utf8JsonWriter w, Run run)
    {
        w.WriteStartObject();
        w.WritePropertyName("info");
        RunInfo(w, run.Info);
        w.WritePropertyName("data");
        w.WriteStartObject();
        if (run.Metrics.Count > 0)
        {
            w.WriteStartArray("metrics");
            foreach (var m in run.Metrics)
            {
                Metric(w, m);
            }

            w.WriteEndArray();
        }

        KeyValues(w, "params", run.Params);
        KeyValues(w, "tags", run.Tags);
        w.WriteEndObject();
        w.WritePropertyName("inputs");
        w.WriteStartObject();
        if (run.Inputs.Count > 0)
        {
            w.WriteStartArray("dataset_inputs");
            foreach (var input in run.Inputs)
            {
                w.WriteStartObject();
                KeyValues(w, "tags", input.Tags);
                w.WritePropertyName("dataset");
                w.WriteStartObject();
                w.WriteString("name", input.Dataset.Name);
                w.WriteString("digest", input.Dataset.Digest);
                w.WriteString("source_type", input.Dataset.SourceType);
                w.WriteString("source", input.Dataset.Source);
                if (input.Dataset.Schema is not null)
                {
                    w.WriteString("schema", input.Dataset.Schema);
                }

                if (input.Dataset.Profile is not null)
                {
                    w.WriteString("profile", input.Dataset.Profile);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void RunInfo(Utf8JsonWriter w, RunInfo info)
    {
        w.WriteStartObject();
        w.WriteString("run_id", info.RunId);
        w.WriteString("run_uuid", info.RunId);
        if (info.RunName is not null)
        {
            w.WriteString("run_name", info.RunName);
        }

        w.WriteString("experiment_id", info.ExperimentId.ToString(CultureInfo.InvariantCulture));
        if (info.UserId is not null)
        {
            w.WriteString("user_id", info.UserId);
        }

        w.WriteString("status", info.Status.ToString());
        if (info.StartTime is { } start)
        {
            w.WriteNumber("start_time", start);
        }

        if (info.EndTime is { } end)
        {
            w.WriteNumber("end_time", end);
        }

        w.WriteString("artifact_uri", info.ArtifactUri);
        w.WriteString("lifecycle_stage", info.LifecycleStage);
        w.WriteEndObject();
    }

    private static readonly JsonEncodedText KeyName = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText StepName = JsonEncodedText.Encode("step");

    public static void Metric(Utf8JsonWriter w, Metric m) => Metric(w, m, JsonEncodedText.Encode(m.Key));

    /// <summary>One history point; <paramref name="key"/> is encoded once per history, not once per point.</summary>
    public static void Metric(Utf8JsonWriter w, Metric m, JsonEncodedText key)
    {
        w.WriteStartObject();
        w.WriteString(KeyName, key);
        if (double.IsFinite(m.Value))
        {
            w.WriteNumber(ValueName, m.Value);
        }
        else
        {
            Double(w, "value", m.Value);
        }

        w.WriteNumber(TimestampName, m.Timestamp);
        w.WriteNumber(StepName, m.Step);
        w.WriteEndObject();
    }

    public static void MetricWithRunId(Utf8JsonWriter w, MetricWithRunId m)
    {
        w.WriteStartObject();
        w.WriteString("key", m.Key);
        Double(w, "value", m.Value);
        w.WriteNumber("timestamp", m.Timestamp);
        w.WriteNumber("step", m.Step);
        w.WriteString("run_id", m.RunId);
        w.WriteEndObject();
    }

    public static void FileInfo(Utf8JsonWriter w, string path, ArtifactEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteBoolean("is_dir", entry.IsDirectory);
        if (entry.Size is { } size)
        {
            w.WriteNumber("file_size", size);
        }

        w.WriteEndObject();
    }

    /// <summary>NaN and ±Infinity are not JSON numbers; protobuf's JSON mapping spells them as strings.</summary>
    public static void Double(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteString(name, "NaN");
        }
        else if (double.IsPositiveInfinity(value))
        {
            w.WriteString(name, "Infinity");
        }
        else if (double.IsNegativeInfinity(value))
        {
            w.WriteString(name, "-Infinity");
        }
        else
        {
            w.WriteNumber(name, value);
        }
    }

    public static void KeyValues(Utf8JsonWriter w, string name, IReadOnlyList<KeyValue> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            w.WriteString("key", item.Key);
            w.WriteString("value", item.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
