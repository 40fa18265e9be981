using System.Text.Json;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

/// <summary>An <c>/invocations</c> body: the table to predict and the optional <c>params</c> object's members.</summary>
public sealed record ScoringInput(Table Table, IReadOnlyDictionary<string, JsonElement>? Params)
{
    /// <summary>
    /// The body's own <c>dataframe_split</c> object when the one-pass reader took it (numbers only),
    /// empty otherwise: the inference log turns it into columns by copying the numbers' text
    /// (<see cref="MlflowScoring.WriteSplitAsColumns"/>) instead of formatting every value again.
    /// </summary>
    public ReadOnlyMemory<byte> SplitJson { get; init; }
}

/// <summary>The two body formats <c>/invocations</c> takes.</summary>
public enum ScoringContentType
{
    Json,
    Csv,
}

/// <summary>
/// The outcome of <see cref="MlflowScoring.CheckContentType"/>: the body format, or the text/plain
/// message MLflow answers with status 415.
/// </summary>
public sealed record ContentTypeCheck(ScoringContentType? Format, string? Error)
{
    public bool IsAccepted => Format is not null;

    public bool IsJson => Format == ScoringContentType.Json;

    public bool IsCsv => Format == ScoringContentType.Csv;

    private static readonly ContentTypeCheck AcceptJson = new(ScoringContentType.Json, null);
    private static readonly ContentTypeCheck AcceptCsv = new(ScoringContentType.Csv, null);

    internal static ContentTypeCheck Accept(ScoringContentType format) => format == ScoringContentType.Json ? AcceptJson : AcceptCsv;

    internal static ContentTypeCheck Reject(string error) => new(null, error);
}

/// <summary>An Open Inference Protocol v2 infer request: its id, the table to predict, the outputs it asks for (null: all).</summary>
public sealed record InferRequest(
    string? Id,
    Table Table,
    IReadOnlyList<string>? RequestedOutputs,
    IReadOnlyDictionary<string, JsonElement>? Parameters)
{
    /// <summary>
    /// The one tensor's <c>data</c> list as the body holds it, when the one-pass reader took the
    /// request (numbers, row-major over the table's columns); empty otherwise. The inference log
    /// writes the inputs from its text (<see cref="MlflowScoring.WriteNumbersAsColumns"/>).
    /// </summary>
    public ReadOnlyMemory<byte> DataJson { get; init; }
}
