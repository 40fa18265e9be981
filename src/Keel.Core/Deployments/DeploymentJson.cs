using System.Globalization;
using System.Text.Json;
using Keel.Core.Errors;

namespace Keel.Core.Deployments;

/// <summary>
/// The JSON of deployments, on the wire and in the store (one shape for both): snake_case fields,
/// errors that name the field (`routes[1].weight`).
/// </summary>
public static class DeploymentJson
{
    public static void WriteSpec(Utf8JsonWriter w, DeploymentSpec spec)
    {
        w.WriteStartArray("routes");
        foreach (var route in spec.Routes)
        {
            WriteRoute(w, route);
        }

        w.WriteEndArray();
        if (spec.Shadow is { } shadow)
        {
            w.WriteStartObject("shadow");
            w.WriteString("model_uri", shadow.ModelUri);
            w.WriteNumber("share", shadow.Share);
            w.WriteEndObject();
        }

        if (spec.StickyHeader is { } header)
        {
            w.WriteString("sticky_header", header);
        }

        w.WriteStartObject("inference_log");
        w.WriteNumber("sample_rate", spec.InferenceLog.SampleRate);
        w.WriteNumber("retention_days", spec.InferenceLog.RetentionDays);
        w.WriteEndObject();
        if (spec.Batching is { } batching)
        {
            w.WriteStartObject("batching");
            w.WriteNumber("max_batch_size", batching.MaxBatchSize);
            w.WriteNumber("max_wait_ms", batching.MaxWaitMs);
            w.WriteEndObject();
        }
    }

    public static void WriteRollout(Utf8JsonWriter w, RolloutSpec rollout)
    {
        w.WriteString("model_uri", rollout.ModelUri);
        w.WriteStartArray("steps");
        foreach (var step in rollout.Steps)
        {
            w.WriteStartObject();
            w.WriteNumber("weight", step.Weight);
            if (step.HoldSeconds is { } seconds)
            {
                w.WriteNumber("hold_seconds", seconds);
            }

            if (step.HoldRequests is { } requests)
            {
                w.WriteNumber("hold_requests", requests);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("gates");
        w.WriteNumber("max_error_rate_increase", rollout.Gates.MaxErrorRateIncrease);
        w.WriteNumber("max_p99_ratio", rollout.Gates.MaxP99Ratio);
        w.WriteNumber("min_requests", rollout.Gates.MinRequests);
        w.WriteEndObject();
    }

    public static void WriteRolloutState(Utf8JsonWriter w, RolloutState state)
    {
        WriteRollout(w, state.Spec);
        w.WriteStartArray("baseline");
        foreach (var route in state.Baseline)
        {
            WriteRoute(w, route);
        }

        w.WriteEndArray();
        w.WriteNumber("step", state.Step);
        w.WriteNumber("step_started_time", state.StepStartedTime);
        w.WriteString("status", state.Status);
    }

    public static string SpecToString(DeploymentSpec spec) => Write(w => WriteSpec(w, spec));

    public static string RolloutStateToString(RolloutState state) => Write(w => WriteRolloutState(w, state));

    public static DeploymentSpec SpecFromString(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ReadSpec(document.RootElement);
    }

    public static RolloutState RolloutStateFromString(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new RolloutState(
            ReadRollout(root, "rollout"),
            ReadRoutes(root, "baseline"),
            (int)(Int64(root, "step", "step") ?? 0),
            Int64(root, "step_started_time", "step_started_time") ?? 0,
            String(root, "status", "status") ?? RolloutState.Running);
    }

    /// <summary>The spec fields of a create or update request (or a stored spec). Defaults fill what is absent.</summary>
    public static DeploymentSpec ReadSpec(JsonElement root)
    {
        var shadow = Object(root, "shadow") is { } s
            ? new ShadowSpec(String(s, "model_uri", "shadow.model_uri") ?? throw KeelException.Missing("shadow.model_uri"), Double(s, "share", "shadow.share") ?? 0.1)
            : null;
        var log = Object(root, "inference_log") is { } l
            ? new InferenceLogSpec(
                Double(l, "sample_rate", "inference_log.sample_rate") ?? InferenceLogSpec.Default.SampleRate,
                (int)(Int64(l, "retention_days", "inference_log.retention_days") ?? InferenceLogSpec.Default.RetentionDays))
            : InferenceLogSpec.Default;
        var batching = Object(root, "batching") is { } b
            ? new BatchingSpec((int)(Int64(b, "max_batch_size", "batching.max_batch_size") ?? 32), Double(b, "max_wait_ms", "batching.max_wait_ms") ?? 2)
            : null;
        return new DeploymentSpec(ReadRoutes(root, "routes"), shadow, String(root, "sticky_header", "sticky_header"), log, batching);
    }

    /// <summary>The `rollout` object of an update request, or null.</summary>
    public static RolloutSpec? ReadRolloutRequest(JsonElement root) =>
        Object(root, "rollout") is { } r ? ReadRollout(r, "rollout") : null;

    private static RolloutSpec ReadRollout(JsonElement r, string field)
    {
        var steps = new List<RolloutStep>();
        if (r.TryGetProperty("steps", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var step in array.EnumerateArray())
            {
                var at = $"{field}.steps[{i++}]";
                if (step.ValueKind == JsonValueKind.Number)
                {
                    throw KeelException.Invalid($"Invalid value for '{at}': give an object such as {{\"weight\": 10, \"hold_seconds\": 60}}.");
                }

                steps.Add(new RolloutStep(
                    Double(step, "weight", at + ".weight") ?? throw KeelException.Missing(at + ".weight"),
                    Double(step, "hold_seconds", at + ".hold_seconds"),
                    Int64(step, "hold_requests", at + ".hold_requests")));
            }
        }

        var gates = Object(r, "gates") is { } g
            ? new RolloutGates(
                Double(g, "max_error_rate_increase", field + ".gates.max_error_rate_increase") ?? RolloutGates.Default.MaxErrorRateIncrease,
                Double(g, "max_p99_ratio", field + ".gates.max_p99_ratio") ?? RolloutGates.Default.MaxP99Ratio,
                Int64(g, "min_requests", field + ".gates.min_requests") ?? RolloutGates.Default.MinRequests)
            : RolloutGates.Default;
        return new RolloutSpec(String(r, "model_uri", field + ".model_uri") ?? throw KeelException.Missing(field + ".model_uri"), steps, gates);
    }

    private static List<RouteSpec> ReadRoutes(JsonElement root, string field)
    {
        var routes = new List<RouteSpec>();
        if (!root.TryGetProperty(field, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return routes;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw KeelException.Invalid($"Invalid value for '{field}': expected a list of {{\"name\", \"model_uri\", \"weight\"}} objects.");
        }

        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var at = $"{field}[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw KeelException.Invalid($"Invalid value for '{at}': expected an object with model_uri and weight.");
            }

            routes.Add(new RouteSpec(
                String(item, "name", at + ".name") ?? (i == 0 ? "primary" : $"route-{i + 1}"),
                String(item, "model_uri", at + ".model_uri") ?? throw KeelException.Missing(at + ".model_uri"),
                Double(item, "weight", at + ".weight") ?? 100));
            i++;
        }

        return routes;
    }

    private static void WriteRoute(Utf8JsonWriter w, RouteSpec route)
    {
        w.WriteStartObject();
        w.WriteString("name", route.Name);
        w.WriteString("model_uri", route.ModelUri);
        w.WriteNumber("weight", route.Weight);
        w.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static JsonElement? Object(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? value : throw KeelException.Invalid($"Invalid value for '{name}': expected an object.");
    }

    private static string? String(JsonElement root, string name, string field)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw KeelException.Invalid($"Invalid value for '{field}': expected a string.");
    }

    private static double? Double(JsonElement root, string name, string field)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw KeelException.Invalid($"Invalid value for '{field}': expected a number, got {value.GetRawText()}.");
    }

    private static long? Int64(JsonElement root, string name, string field)
    {
        var number = Double(root, name, field);
        if (number is null)
        {
            return null;
        }

        return number.Value == Math.Floor(number.Value) && Math.Abs(number.Value) < 9e15
            ? (long)number.Value
            : throw KeelException.Invalid($"Invalid value for '{field}': expected a whole number, got {number.Value.ToString(CultureInfo.InvariantCulture)}.");
    }
}
