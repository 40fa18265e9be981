using System.Net.Http.Headers;
using System.Text.Json;
using Keel.Core.Deployments;
using Keel.Core.Inference;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>Creates a deployment: a named endpoint (<c>/deployments/{name}/invocations</c>) over the routes of <paramref name="spec"/>.</summary>
    /// <param name="name">Letters, digits, '.', '_' or '-'.</param>
    /// <param name="spec">Routes with weights, optional shadow, sticky header, inference-log settings.</param>
    /// <param name="description">A description, if any.</param>
    /// <param name="message">Why, recorded with revision 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deployment as stored and served.</returns>
    /// <exception cref="KeelApiException">A model that cannot be loaded, an invalid spec, or a taken name.</exception>
    public async Task<DeploymentInfo> CreateDeploymentAsync(
        string name, DeploymentSpec spec, string? description = null, string? message = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        using var document = await SendKeelAsync(HttpMethod.Post, "deployments/create", null, w =>
        {
            w.WriteString("name", name);
            WriteOptional(w, "description", description);
            WriteOptional(w, "message", message);
            DeploymentJson.WriteSpec(w, spec);
        }, cancellationToken);
        return DeploymentInfo.Read(document.RootElement.GetProperty("deployment"));
    }

    /// <summary>
    /// Changes a deployment; every change is a new revision. Give a new <paramref name="spec"/>, a
    /// progressive <paramref name="rollout"/> of another model over the current routes, or both.
    /// </summary>
    /// <param name="name">The deployment.</param>
    /// <param name="spec">The whole new spec, or <see langword="null"/> to keep the routes.</param>
    /// <param name="rollout">A rollout to start, or <see langword="null"/>.</param>
    /// <param name="description">A new description, or <see langword="null"/> to keep it.</param>
    /// <param name="message">Why, recorded with the revision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deployment after the change.</returns>
    public async Task<DeploymentInfo> UpdateDeploymentAsync(
        string name, DeploymentSpec? spec = null, RolloutSpec? rollout = null, string? description = null, string? message = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Post, "deployments/update", null, w =>
        {
            w.WriteString("name", name);
            WriteOptional(w, "description", description);
            WriteOptional(w, "message", message);
            if (spec is not null)
            {
                DeploymentJson.WriteSpec(w, spec);
            }

            if (rollout is not null)
            {
                w.WriteStartObject("rollout");
                DeploymentJson.WriteRollout(w, rollout);
                w.WriteEndObject();
            }
        }, cancellationToken);
        return DeploymentInfo.Read(document.RootElement.GetProperty("deployment"));
    }

    /// <summary>Applies an earlier revision again (as a new revision).</summary>
    /// <param name="name">The deployment.</param>
    /// <param name="revision">The revision to return to; <see langword="null"/> for the one before the current.</param>
    /// <param name="message">Why, recorded with the revision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deployment after the rollback.</returns>
    public async Task<DeploymentInfo> RollbackDeploymentAsync(string name, long? revision = null, string? message = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Post, "deployments/rollback", null, w =>
        {
            w.WriteString("name", name);
            if (revision is { } r)
            {
                w.WriteNumber("revision", r);
            }

            WriteOptional(w, "message", message);
        }, cancellationToken);
        return DeploymentInfo.Read(document.RootElement.GetProperty("deployment"));
    }

    /// <summary>Gets a deployment with what it serves now.</summary>
    /// <param name="name">The deployment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deployment.</returns>
    public async Task<DeploymentInfo> GetDeploymentAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "deployments/get", Query(("name", name)), null, cancellationToken);
        return DeploymentInfo.Read(document.RootElement.GetProperty("deployment"));
    }

    /// <summary>Lists every deployment.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deployments by name.</returns>
    public async Task<IReadOnlyList<DeploymentInfo>> ListDeploymentsAsync(CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Get, "deployments/list", null, null, cancellationToken);
        return document.RootElement.TryGetProperty("deployments", out var list) ? [.. list.EnumerateArray().Select(DeploymentInfo.Read)] : [];
    }

    /// <summary>Revisions and recorded decisions (rollout gates, followed aliases), newest first.</summary>
    /// <param name="name">The deployment.</param>
    /// <param name="maxResults">At most this many of each.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The history.</returns>
    public async Task<DeploymentHistory> GetDeploymentHistoryAsync(string name, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "deployments/history",
            Query(("name", name), ("max_results", maxResults.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, cancellationToken);
        var root = document.RootElement;
        var revisions = root.GetProperty("revisions").EnumerateArray().Select(r => new DeploymentRevision(
            name, r.GetProperty("revision").GetInt64(), DeploymentJson.ReadSpec(r.GetProperty("spec")), r.GetProperty("kind").GetString()!,
            OptionalString(r, "message"), OptionalString(r, "user_id"), r.GetProperty("time").GetInt64(),
            [.. r.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!)])).ToList();
        var events = root.GetProperty("events").EnumerateArray().Select(e => new DeploymentEvent(
            name, e.GetProperty("time").GetInt64(), e.GetProperty("revision").GetInt64(), e.GetProperty("kind").GetString()!,
            e.GetProperty("message").GetString()!)).ToList();
        return new DeploymentHistory(revisions, events);
    }

    /// <summary>Deletes a deployment: its endpoint stops answering; its inference records stay until their retention ends.</summary>
    /// <param name="name">The deployment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is gone.</returns>
    public async Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await SendKeelAsync(HttpMethod.Delete, "deployments/delete", null, w => w.WriteString("name", name), cancellationToken);
    }

    /// <summary>How the shadow model compares with the live one on the requests both answered.</summary>
    /// <param name="name">The deployment.</param>
    /// <param name="since">Only requests from this time (ms since the epoch), if given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The verdict.</returns>
    public async Task<ShadowVerdict> GetShadowVerdictAsync(string name, long? since = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "deployments/shadow-verdict",
            Query(("name", name), ("since", since?.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, cancellationToken);
        var v = document.RootElement.GetProperty("verdict");
        double? Number(string field) => v.TryGetProperty(field, out var x) && x.ValueKind == JsonValueKind.Number ? x.GetDouble() : null;
        return new ShadowVerdict(name, v.GetProperty("pairs").GetInt64(), v.GetProperty("shadow_errors").GetInt64(), v.GetProperty("kind").GetString()!,
            Number("agreement_rate"), Number("mean_absolute_difference"), Number("max_absolute_difference"),
            Number("live_p50_ms") ?? 0, Number("live_p99_ms") ?? 0, Number("shadow_p50_ms") ?? 0, Number("shadow_p99_ms") ?? 0,
            OptionalString(v, "shadow_version"));
    }

    /// <summary>Sends inference records to the server's inference log (what <c>keel serve</c> does in batches).</summary>
    /// <param name="records">At most 5,000 records.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when they are stored.</returns>
    public async Task LogInferenceAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var _ = await SendKeelAsync(HttpMethod.Post, "inference-log/log-batch", null, w =>
        {
            w.WriteStartArray("records");
            foreach (var r in records)
            {
                w.WriteStartObject();
                w.WriteString("request_id", r.RequestId);
                w.WriteString("deployment", r.Deployment);
                w.WriteString("model_name", r.ModelName);
                w.WriteString("model_version", r.ModelVersion);
                w.WriteString("route", r.Route);
                w.WriteBoolean("shadow", r.Shadow);
                w.WriteNumber("time", r.Time);
                w.WriteNumber("latency_ms", r.LatencyMs);
                w.WriteNumber("status", r.Status);
                WriteOptional(w, "error", r.Error);
                WriteRaw(w, "inputs", r.InputsUtf8, r.InputsUtf8.IsEmpty ? r.Inputs : null, r.PayloadsAreJson);
                WriteRaw(w, "outputs", r.OutputsUtf8, r.OutputsUtf8.IsEmpty ? r.Outputs : null, r.PayloadsAreJson);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }, cancellationToken);
    }

    /// <summary>Reads a deployment's inference records, newest first.</summary>
    /// <param name="deployment">The deployment.</param>
    /// <param name="since">From this time (ms since the epoch), if given.</param>
    /// <param name="maxResults">At most this many.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records.</returns>
    public async Task<IReadOnlyList<InferenceRecord>> SearchInferenceLogAsync(
        string deployment, long? since = null, int maxResults = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deployment);
        using var document = await SendKeelAsync(HttpMethod.Get, "inference-log/search", Query(
            ("deployment", deployment), ("since", since?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("max_results", maxResults.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, cancellationToken);
        return [.. document.RootElement.GetProperty("records").EnumerateArray().Select(r => new InferenceRecord(
            r.GetProperty("request_id").GetString()!, r.GetProperty("deployment").GetString()!, r.GetProperty("model_name").GetString()!,
            r.GetProperty("model_version").GetString()!, r.GetProperty("route").GetString()!, r.GetProperty("shadow").GetBoolean(),
            r.GetProperty("time").GetInt64(), r.GetProperty("latency_ms").GetDouble(), r.GetProperty("status").GetInt32(),
            OptionalString(r, "error"),
            r.TryGetProperty("inputs", out var i) ? i.GetRawText() : null,
            r.TryGetProperty("outputs", out var o) ? o.GetRawText() : null))];
    }

    private async Task<JsonDocument> SendKeelAsync(HttpMethod method, string path, string? query, Action<Utf8JsonWriter>? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.RequestTimeout);
        }

        using var request = new HttpRequestMessage(method, KeelApiUri(path, query));
        if (body is not null)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }

            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            await EnsureSuccessAsync(response, timeout.Token);
            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"{method} {path} did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s (KeelClientOptions.RequestTimeout).", ex);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>
    /// A JSON payload, from its bytes when the record holds them (no string made of them); not
    /// checked again when a JSON writer made it (<see cref="InferenceRecord.PayloadsAreJson"/>).
    /// </summary>
    private static void WriteRaw(Utf8JsonWriter w, string name, ReadOnlyMemory<byte> utf8, string? json, bool known)
    {
        if (!utf8.IsEmpty)
        {
            w.WritePropertyName(name);
            w.WriteRawValue(utf8.Span, skipInputValidation: known);
        }
        else if (json is not null)
        {
            w.WritePropertyName(name);
            w.WriteRawValue(json);
        }
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
