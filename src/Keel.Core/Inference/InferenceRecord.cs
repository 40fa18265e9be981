namespace Keel.Core.Inference;

/// <summary>One scored request, as the inference log keeps it (what monitoring reads).</summary>
/// <param name="RequestId">The caller's X-Request-Id or the one the server gave; feedback joins on it.</param>
/// <param name="Route">The deployment route that answered (`primary`, `rollout`, `shadow`).</param>
/// <param name="Shadow">True for a shadow model's copy of a live request (same request id as the live one).</param>
/// <param name="Time">Milliseconds since the Unix epoch when the request arrived.</param>
/// <param name="Status">The HTTP status the request got (a shadow's is its own outcome: 200 or 500).</param>
/// <param name="Inputs">The scored rows as JSON columns (`{"sepal_length": [5.1, 6.2], ...}`), or null when not kept.</param>
/// <param name="Outputs">The predictions as `/invocations` returns them (`{"predictions": ...}`), or null on error.</param>
public sealed record InferenceRecord(
    string RequestId,
    string Deployment,
    string ModelName,
    string ModelVersion,
    string Route,
    bool Shadow,
    long Time,
    double LatencyMs,
    int Status,
    string? Error,
    string? Inputs,
    string? Outputs)
{
    private string? _inputs = Inputs;
    private string? _outputs = Outputs;

    /// <summary>The scored rows as JSON columns, or null; decoded from <see cref="InputsUtf8"/> when the record was made from bytes.</summary>
    public string? Inputs
    {
        get => _inputs ??= Decode(InputsUtf8);
        init => _inputs = value;
    }

    /// <summary>The predictions as `/invocations` returns them, or null; decoded from <see cref="OutputsUtf8"/> when the record was made from bytes.</summary>
    public string? Outputs
    {
        get => _outputs ??= Decode(OutputsUtf8);
        init => _outputs = value;
    }

    /// <summary>
    /// <see cref="Inputs"/> as UTF-8 JSON, when the serving process wrote them so: storage and the
    /// upload of `keel serve` copy these bytes instead of turning them into a string and back.
    /// </summary>
    public ReadOnlyMemory<byte> InputsUtf8 { get; init; }

    /// <summary><see cref="Outputs"/> as UTF-8 JSON (the response body), when the serving process kept them so.</summary>
    public ReadOnlyMemory<byte> OutputsUtf8 { get; init; }

    private static string? Decode(ReadOnlyMemory<byte> utf8) => utf8.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(utf8.Span);

    /// <summary>
    /// True when <see cref="Inputs"/> and <see cref="Outputs"/> (where not null) were written by a
    /// JSON writer in this process, so storage may embed them without parsing them again; records
    /// from elsewhere (a `keel serve` upload, a caller) leave it false and are checked.
    /// </summary>
    public bool PayloadsAreJson { get; init; }
}

/// <summary>
/// Which records to read: one deployment, a time window, optionally one route or role.
/// <see cref="Stride"/> &gt; 1 keeps every Stride-th record (by insertion order): an even sample of
/// a window too large to read whole.
/// </summary>
public sealed record InferenceQuery(
    string Deployment,
    long? Since = null,
    long? Until = null,
    string? Route = null,
    bool? Shadow = null,
    int Limit = 1000,
    bool Payloads = true,
    int Stride = 1);

/// <summary>Durable storage of inference records.</summary>
public interface IInferenceLogStore
{
    /// <summary>Appends a batch in one transaction.</summary>
    Task AppendAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<InferenceRecord>> QueryAsync(InferenceQuery query, CancellationToken ct);

    /// <summary>How many records the query matches (its limit and stride aside).</summary>
    Task<long> CountAsync(InferenceQuery query, CancellationToken ct);

    /// <summary>Deletes a deployment's records older than <paramref name="before"/>; returns how many.</summary>
    Task<long> PurgeAsync(string deployment, long before, CancellationToken ct);

    /// <summary>The deployments the log holds records of (deleted ones, and `keel serve` uploads, included), by name.</summary>
    Task<IReadOnlyList<string>> ListDeploymentsAsync(CancellationToken ct);
}
