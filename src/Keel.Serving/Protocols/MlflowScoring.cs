using System.Text.Json;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

/// <summary>
/// MLflow's scoring protocol (<c>mlflow models serve</c>, reference §7): <c>/invocations</c> bodies
/// to a <see cref="Table"/> typed by the model signature, and predictions to <c>{"predictions": …}</c>.
/// Every request error is a <see cref="KeelException"/> with <see cref="ErrorCode.BAD_REQUEST"/>.
/// </summary>
public static partial class MlflowScoring
{
    public const string JsonContentType = "application/json";

    public const string CsvContentType = "text/csv";

    /// <summary>MLflow's note on the 2.0 protocol change, appended to format errors.</summary>
    public const string ProtocolChangeInfo =
        "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, "
        + "you are likely using an outdated scoring request format. To resolve the error, either update your request format "
        + "or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the "
        + "'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client "
        + "(e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new "
        + "request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see "
        + "https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";

    private const string RequiredInputFormat =
        "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";

    private static readonly string[] FormatKeys = ["dataframe_split", "dataframe_records", "instances", "inputs"];

    /// <summary>
    /// Parses a JSON <c>/invocations</c> body: exactly one of <c>dataframe_split</c>,
    /// <c>dataframe_records</c>, <c>instances</c>, <c>inputs</c>, plus optional <c>params</c>; then
    /// types and checks the columns against the signature's inputs (or infers types without one).
    /// </summary>
    public static ScoringInput ParseJson(ReadOnlySpan<byte> utf8Json, ModelSignature? signature)
    {
        return TryParseNumericSplit(utf8Json, signature) ?? ParseJsonGeneral(utf8Json, signature);
    }

    /// <inheritdoc cref="ParseJson(ReadOnlySpan{byte}, ModelSignature?)"/>
    /// <remarks>When the one-pass reader takes the body, the result keeps its <c>dataframe_split</c> object (<see cref="ScoringInput.SplitJson"/>).</remarks>
    public static ScoringInput ParseJson(ReadOnlyMemory<byte> utf8Json, ModelSignature? signature)
    {
        return TryParseNumericSplit(utf8Json.Span, signature, out var split) is { } fast
            ? fast with { SplitJson = utf8Json[split] }
            : ParseJsonGeneral(utf8Json.Span, signature);
    }

    /// <summary>Every JSON format, through a <see cref="JsonDocument"/>; the one source of every request error.</summary>
    internal static ScoringInput ParseJsonGeneral(ReadOnlySpan<byte> utf8Json, ModelSignature? signature)
    {
        using var document = ParseDocument(utf8Json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            var kind = root.ValueKind == JsonValueKind.Array ? "a JSON list" : $"a JSON {root.ValueKind.ToString().ToLowerInvariant()}";
            throw BadRequest($"{RequiredInputFormat}. Received {kind}. {ProtocolChangeInfo}");
        }

        var keys = root.EnumerateObject().Select(p => p.Name).ToList();
        var formats = keys.Where(k => FormatKeys.Contains(k, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (formats.Count != 1)
        {
            throw BadRequest(
                $"{RequiredInputFormat}. Received dictionary with input fields: [{string.Join(", ", keys.Select(k => $"'{k}'"))}]. {ProtocolChangeInfo}");
        }

        var inputs = signature?.Inputs;
        var data = root.GetProperty(formats[0]);
        var columns = formats[0] switch
        {
            "dataframe_split" => DataframeSplit(data, inputs),
            "dataframe_records" => Records(data, "dataframe_records"),
            "instances" => Instances(data, inputs),
            _ => Inputs(data, inputs),
        };

        var table = SignatureBinding.Bind(columns, inputs, fromText: false, ErrorCode.BAD_REQUEST);
        if (table.RowCount == 0)
        {
            throw BadRequest($"The request has no rows to score: '{formats[0]}' is empty.");
        }

        return new ScoringInput(table, Params(root));
    }

    /// <summary>
    /// Parses a CSV <c>/invocations</c> body (header row = column names) and types its columns by
    /// the signature; CSV has no params.
    /// </summary>
    public static async Task<ScoringInput> ParseCsvAsync(Stream body, ModelSignature? signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        Table read;
        try
        {
            read = await TableReader.ReadAsync(body, TableFormat.Csv, cancellationToken);
        }
        catch (KeelException ex) when (ex.Code == ErrorCode.INVALID_PARAMETER_VALUE)
        {
            throw new KeelException(ErrorCode.BAD_REQUEST, ex.Message, ex);
        }

        var columns = read.Columns
            .Select(c => new RawColumn(c.Name, [.. Enumerable.Range(0, c.Length).Select(c.GetValue)]))
            .ToList();
        var table = signature?.Inputs is null ? read : SignatureBinding.Bind(columns, signature.Inputs, fromText: true, ErrorCode.BAD_REQUEST);
        if (table.RowCount == 0)
        {
            throw BadRequest("The request has no rows to score: the CSV body has a header and no rows.");
        }

        return new ScoringInput(table, null);
    }

    /// <summary>
    /// Writes <c>{"predictions": …}</c> as MLflow shapes it: one output as its nested list, several
    /// outputs as one object per row keyed by output name (<see cref="PredictionResult.ToMlflowPredictions"/>).
    /// </summary>
    public static void WritePredictions(Utf8JsonWriter writer, PredictionResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteStartObject();
        writer.WritePropertyName("predictions");
        result.WriteMlflowPredictions(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Checks an <c>/invocations</c> Content-Type as MLflow does: <c>application/json</c> or
    /// <c>text/csv</c>, only a <c>charset=utf-8</c> parameter. Otherwise the 415 text.
    /// </summary>
    public static ContentTypeCheck CheckContentType(string? contentType)
    {
        // The usual headers without parsing them (nothing allocated per request).
        if (string.Equals(contentType, JsonContentType, StringComparison.OrdinalIgnoreCase))
        {
            return ContentTypeCheck.Accept(ScoringContentType.Json);
        }

        if (string.Equals(contentType, CsvContentType, StringComparison.OrdinalIgnoreCase))
        {
            return ContentTypeCheck.Accept(ScoringContentType.Csv);
        }

        var parts = (contentType ?? "").Split(';');
        var mediaType = parts[0].Trim();
        var parameters = new List<(string Key, string Value)>();
        foreach (var part in parts.Skip(1).Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            parameters.Add(equals < 0
                ? (part.ToLowerInvariant(), "")
                : (part[..equals].Trim().ToLowerInvariant(), part[(equals + 1)..].Trim().Trim('"')));
        }

        var charset = parameters.LastOrDefault(p => string.Equals(p.Key, "charset", StringComparison.Ordinal)).Value ?? "utf-8";
        if (!string.Equals(charset.ToLowerInvariant(), "utf-8", StringComparison.Ordinal))
        {
            return ContentTypeCheck.Reject("The scoring server only supports UTF-8");
        }

        var unexpected = parameters.Select(p => p.Key).Where(k => !string.Equals(k, "charset", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            return ContentTypeCheck.Reject($"Unrecognized content type parameters: {string.Join(", ", unexpected)}. {ProtocolChangeInfo}");
        }

        if (string.Equals(mediaType, JsonContentType, StringComparison.OrdinalIgnoreCase))
        {
            return ContentTypeCheck.Accept(ScoringContentType.Json);
        }

        if (string.Equals(mediaType, CsvContentType, StringComparison.OrdinalIgnoreCase))
        {
            return ContentTypeCheck.Accept(ScoringContentType.Csv);
        }

        return ContentTypeCheck.Reject(
            $"This predictor only supports the following content types: Types: ['{CsvContentType}', '{JsonContentType}']. Got '{contentType ?? "None"}'.");
    }

    private static JsonDocument ParseDocument(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw BadRequest($"The request body is empty. {RequiredInputFormat}.");
        }

        try
        {
            return JsonDocument.Parse(utf8Json.ToArray());
        }
        catch (JsonException ex)
        {
            throw BadRequest($"The request body is not valid JSON: {ex.Message}");
        }
    }

    private static Dictionary<string, JsonElement>? Params(JsonElement root)
    {
        if (!root.TryGetProperty("params", out var parameters) || parameters.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw BadRequest($"'params' must be a JSON dictionary of inference parameters, not a JSON {parameters.ValueKind.ToString().ToLowerInvariant()}.");
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in parameters.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    private static KeelException BadRequest(string message) => new(ErrorCode.BAD_REQUEST, message);
}
