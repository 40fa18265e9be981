using System.Text.Json;
using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Server.Deployments;
using Keel.Server.Http;
using Keel.Server.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>Deployments (`/api/2.0/keel/deployments/...`) and the inference log's REST side (issue 5).</summary>
internal static class DeploymentsEndpoints
{
    public const int MaxInferenceBatch = 5_000;

    public static void MapDeploymentsEndpoints(this MlflowRouteTable routes) => routes
        .Post("keel/deployments/create", Permission.Authenticated, Create)
        .Post("keel/deployments/update", Permission.Manage, Update)
        .Post("keel/deployments/rollback", Permission.Manage, Rollback)
        .Add("DELETE", "keel/deployments/delete", Permission.Manage, Delete)
        .Get("keel/deployments/get", Permission.Read, Get)
        .Get("keel/deployments/list", Permission.Authenticated, List)
        .Get("keel/deployments/history", Permission.Read, History)
        .Get("keel/deployments/shadow-verdict", Permission.Read, Verdict)
        .Post("keel/inference-log/log-batch", Permission.Edit, LogBatch)
        .Get("keel/inference-log/search", Permission.Read, Search);

    private static DeploymentManager Manager(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<DeploymentManager>();

    private static async Task<IResult> Create(MlflowRequest r)
    {
        var body = Body(r);
        var deployment = await Manager(r).CreateAsync(
            r.Args.RequiredString("name"), r.Args.String("description"), DeploymentJson.ReadSpec(body), r.Args.String("message"), User(r), r.Ct);
        return Deployment(r, deployment);
    }

    private static async Task<IResult> Update(MlflowRequest r)
    {
        var body = Body(r);
        var hasSpec = body.TryGetProperty("routes", out _);
        if (!hasSpec && (body.TryGetProperty("shadow", out _) || body.TryGetProperty("inference_log", out _)
            || body.TryGetProperty("sticky_header", out _) || body.TryGetProperty("batching", out _)))
        {
            throw KeelException.Invalid("An update that changes the spec gives all of it, starting with 'routes' (what is left out returns to its default).");
        }

        var deployment = await Manager(r).UpdateAsync(
            r.Args.RequiredString("name"), r.Args.String("description"), hasSpec ? DeploymentJson.ReadSpec(body) : null,
            DeploymentJson.ReadRolloutRequest(body), r.Args.String("message"), User(r), r.Ct);
        return Deployment(r, deployment);
    }

    private static async Task<IResult> Rollback(MlflowRequest r) => Deployment(r, await Manager(r).RollbackAsync(
        r.Args.RequiredString("name"), r.Args.Int64("revision"), r.Args.String("message"), User(r), r.Ct));

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await Manager(r).DeleteAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Get(MlflowRequest r) =>
        Deployment(r, await Manager(r).GetAsync(r.Args.RequiredString("name"), r.Ct));

    private static async Task<IResult> List(MlflowRequest r)
    {
        var manager = Manager(r);
        var deployments = await manager.Store.ListAsync(r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("deployments");
            foreach (var d in deployments)
            {
                w.WriteStartObject();
                WriteDeployment(w, d, manager.Find(d.Name));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> History(MlflowRequest r)
    {
        var name = r.Args.RequiredString("name");
        var manager = Manager(r);
        _ = await manager.GetAsync(name, r.Ct);
        var limit = (int)Math.Clamp(r.Args.Int64("max_results") ?? 100, 1, 1000);
        var history = await manager.Store.GetHistoryAsync(name, limit, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("revisions");
            foreach (var rev in history.Revisions)
            {
                w.WriteStartObject();
                w.WriteNumber("revision", rev.Revision);
                w.WriteString("kind", rev.Kind);
                w.WriteString("message", rev.Message);
                w.WriteString("user_id", rev.User);
                w.WriteNumber("time", rev.Time);
                w.WriteStartArray("versions");
                foreach (var v in rev.Versions)
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                w.WriteStartObject("spec");
                DeploymentJson.WriteSpec(w, rev.Spec);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("events");
            foreach (var e in history.Events)
            {
                w.WriteStartObject();
                w.WriteNumber("time", e.Time);
                w.WriteNumber("revision", e.Revision);
                w.WriteString("kind", e.Kind);
                w.WriteString("message", e.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> Verdict(MlflowRequest r)
    {
        var limit = (int)Math.Clamp(r.Args.Int64("max_results") ?? 10_000, 1, 100_000);
        var v = await Manager(r).ShadowVerdictAsync(r.Args.RequiredString("name"), r.Args.Int64("since"), limit, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartObject("verdict");
            w.WriteString("deployment", v.Deployment);
            w.WriteString("shadow_version", v.ShadowVersion);
            w.WriteNumber("pairs", v.Pairs);
            w.WriteNumber("shadow_errors", v.ShadowErrors);
            w.WriteString("kind", v.Kind);
            Number(w, "agreement_rate", v.AgreementRate);
            Number(w, "mean_absolute_difference", v.MeanAbsoluteDifference);
            Number(w, "max_absolute_difference", v.MaxAbsoluteDifference);
            w.WriteNumber("live_p50_ms", v.LiveP50Ms);
            w.WriteNumber("live_p99_ms", v.LiveP99Ms);
            w.WriteNumber("shadow_p50_ms", v.ShadowP50Ms);
            w.WriteNumber("shadow_p99_ms", v.ShadowP99Ms);
            w.WriteString("summary", v.ToString());
            w.WriteEndObject();
        });
    }

    /// <summary>Inference records from `keel serve` replicas (the same shape `search` returns).</summary>
    private static async Task<IResult> LogBatch(MlflowRequest r)
    {
        var body = Body(r);
        if (!body.TryGetProperty("records", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw KeelException.Missing("records");
        }

        if (array.GetArrayLength() > MaxInferenceBatch)
        {
            throw KeelException.Invalid($"'records' has {array.GetArrayLength()} entries; the limit is {MaxInferenceBatch} per request.");
        }

        var records = new List<InferenceRecord>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            records.Add(ReadRecord(item, i++));
        }

        await Manager(r).InferenceLog.AppendAsync(records, r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> Search(MlflowRequest r)
    {
        var shadow = r.Args.String("shadow") is { } s ? bool.Parse(s) : (bool?)null;
        var records = await Manager(r).InferenceLog.QueryAsync(new InferenceQuery(
            r.Args.RequiredString("deployment"), r.Args.Int64("since"), r.Args.Int64("until"), r.Args.String("route"), shadow,
            (int)Math.Clamp(r.Args.Int64("max_results") ?? 1000, 1, 50_000)), r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("records");
            foreach (var record in records)
            {
                WriteRecord(w, record);
            }

            w.WriteEndArray();
        });
    }

    internal static void WriteRecord(Utf8JsonWriter w, InferenceRecord record)
    {
        w.WriteStartObject();
        w.WriteString("request_id", record.RequestId);
        w.WriteString("deployment", record.Deployment);
        w.WriteString("model_name", record.ModelName);
        w.WriteString("model_version", record.ModelVersion);
        w.WriteString("route", record.Route);
        w.WriteBoolean("shadow", record.Shadow);
        w.WriteNumber("time", record.Time);
        w.WriteNumber("latency_ms", record.LatencyMs);
        w.WriteNumber("status", record.Status);
        if (record.Error is not null)
        {
            w.WriteString("error", record.Error);
        }

        if (record.Inputs is not null)
        {
            w.WritePropertyName("inputs");
            w.WriteRawValue(record.Inputs, skipInputValidation: true);
        }

        if (record.Outputs is not null)
        {
            w.WritePropertyName("outputs");
            w.WriteRawValue(record.Outputs, skipInputValidation: true);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// One uploaded record, read in one pass over its properties (an upload holds hundreds of
    /// records; looking each field up by name scanned the object once per field). Its payloads are
    /// kept as the body's UTF-8 bytes (no string made of them).
    /// </summary>
    private static InferenceRecord ReadRecord(JsonElement e, int index)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw KeelException.Invalid($"Invalid value for 'records[{index}]': an object.");
        }

        var fields = new JsonElement[RecordFields.Length];
        foreach (var property in e.EnumerateObject())
        {
            // A repeated property counts by its last value; unknown ones are ignored.
            for (var f = 0; f < RecordFields.Length; f++)
            {
                if (property.NameEquals(RecordFields[f].Utf8))
                {
                    fields[f] = property.Value;
                    break;
                }
            }
        }

        JsonElement Field(RecordField f) => fields[(int)f];
        string Text(RecordField f) => Field(f) is { ValueKind: JsonValueKind.String } v && v.GetString() is { Length: > 0 and <= 500 } s
            ? s : throw KeelException.Invalid($"Invalid value for 'records[{index}].{RecordFields[(int)f].Name}': a string of 1 to 500 characters.");
        double Number(RecordField f) => Field(f) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble()
            : throw KeelException.Invalid($"Invalid value for 'records[{index}].{RecordFields[(int)f].Name}': a number.");

        // Raw() keeps only JSON objects and lists, as the parsed body holds them: valid JSON.
        ReadOnlyMemory<byte> Raw(RecordField f) => Field(f) is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } v
            ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(v).ToArray() : default;

        return new InferenceRecord(
            Text(RecordField.RequestId), Text(RecordField.Deployment), Text(RecordField.ModelName), Text(RecordField.ModelVersion),
            Text(RecordField.Route), Field(RecordField.Shadow).ValueKind == JsonValueKind.True,
            (long)Number(RecordField.Time), Number(RecordField.LatencyMs), (int)Number(RecordField.Status),
            Field(RecordField.Error) is { ValueKind: JsonValueKind.String } error ? error.GetString() : null, null, null)
        {
            InputsUtf8 = Raw(RecordField.Inputs),
            OutputsUtf8 = Raw(RecordField.Outputs),
            PayloadsAreJson = true,
        };
    }

    /// <summary>The properties of an uploaded record, in the order of <see cref="RecordFields"/>.</summary>
    private enum RecordField
    {
        RequestId,
        Deployment,
        ModelName,
        ModelVersion,
        Route,
        Shadow,
        Time,
        LatencyMs,
        Status,
        Error,
        Inputs,
        Outputs,
    }

    private static readonly (string Name, byte[] Utf8)[] RecordFields = [.. new[]
    {
        "request_id", "deployment", "model_name", "model_version", "route", "shadow", "time", "latency_ms", "status", "error", "inputs", "outputs",
    }.Select(name => (name, System.Text.Encoding.UTF8.GetBytes(name)))];

    private static JsonElement Body(MlflowRequest r) =>
        r.Args.Body.ValueKind == JsonValueKind.Object ? r.Args.Body : throw KeelException.Invalid("Expected a JSON object in the request body.");

    private static string? User(MlflowRequest r) => r.Http.User.Identity?.Name;

    private static JsonResult Deployment(MlflowRequest r, Deployment deployment) => JsonResult.Object(w =>
    {
        w.WriteStartObject("deployment");
        WriteDeployment(w, deployment, Manager(r).Find(deployment.Name));
        w.WriteEndObject();
    });

    private static void WriteDeployment(Utf8JsonWriter w, Deployment d, DeploymentRuntime? runtime)
    {
        w.WriteString("name", d.Name);
        if (d.Description is not null)
        {
            w.WriteString("description", d.Description);
        }

        w.WriteNumber("revision", d.Revision);
        w.WriteNumber("creation_time", d.CreationTime);
        w.WriteNumber("last_updated_time", d.LastUpdatedTime);
        DeploymentJson.WriteSpec(w, d.Spec);
        if (d.Rollout is { } rollout)
        {
            w.WriteStartObject("rollout");
            DeploymentJson.WriteRolloutState(w, rollout);
            w.WriteEndObject();
        }

        var table = runtime?.Current;
        w.WriteString("status", table is null ? "not_loaded" : table.Revision == d.Revision ? "serving" : "updating");
        w.WriteString("endpoint", $"/deployments/{d.Name}/invocations");
        if (table is null)
        {
            return;
        }

        var total = table.Routes.Sum(x => x.Weight);
        w.WriteStartArray("serving");
        foreach (var route in table.Routes)
        {
            w.WriteStartObject();
            w.WriteString("route", route.Name);
            w.WriteString("model_uri", route.ModelUri);
            w.WriteString("model_name", route.Model.Name);
            w.WriteString("version", route.Model.Version);
            w.WriteNumber("share", total > 0 ? route.Weight / total : 0);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (table.Shadow is { } shadow)
        {
            w.WriteStartObject("shadow_serving");
            w.WriteString("model_uri", shadow.ModelUri);
            w.WriteString("model_name", shadow.Model.Name);
            w.WriteString("version", shadow.Model.Version);
            w.WriteNumber("share", table.ShadowShare);
            w.WriteEndObject();
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
    }
}
