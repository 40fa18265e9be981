using System.Text.Json;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

/// <summary>
/// The Open Inference Protocol v2 (KServe v2) REST shapes: infer requests to a <see cref="Table"/>
/// checked against the model signature, predictions to infer responses, the signature to model
/// metadata. Every request error is <see cref="KeelException.Invalid"/> naming the input and the rule.
/// </summary>
public static partial class OpenInference
{
    private const ErrorCode Code = ErrorCode.INVALID_PARAMETER_VALUE;

    private static readonly string[] Datatypes =
        ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"];

    /// <summary>
    /// Parses an infer request. A single tensor input of shape [-1, k] becomes k columns "0".."k-1"
    /// (which the ONNX predictor stacks); inputs of one value per row ([-1], [-1, 1]) and column
    /// inputs become one column each, named after the input.
    /// </summary>
    public static InferRequest ParseInfer(ReadOnlySpan<byte> utf8Json, ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return TryParseStackedInfer(utf8Json, signature) ?? ParseInferGeneral(utf8Json, signature);
    }

    /// <inheritdoc cref="ParseInfer(ReadOnlySpan{byte}, ModelSignature)"/>
    /// <remarks>When the one-pass reader takes the request, the result keeps its tensor's data (<see cref="InferRequest.DataJson"/>).</remarks>
    public static InferRequest ParseInfer(ReadOnlyMemory<byte> utf8Json, ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return TryParseStackedInfer(utf8Json.Span, signature, out var data) is { } fast
            ? fast with { DataJson = utf8Json[data] }
            : ParseInferGeneral(utf8Json.Span, signature);
    }

    /// <summary>Every infer request, through a <see cref="JsonDocument"/>; the one source of every request error.</summary>
    internal static InferRequest ParseInferGeneral(ReadOnlySpan<byte> utf8Json, ModelSignature signature)
    {
        using var document = ParseDocument(utf8Json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw KeelException.Invalid("The infer request must be a JSON object with an 'inputs' list.");
        }

        string? id = null;
        if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw KeelException.Invalid("The infer request's 'id' must be a string.");
        }

        if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array || inputsElement.GetArrayLength() == 0)
        {
            throw KeelException.Invalid("The infer request needs 'inputs', a non-empty list of {\"name\", \"shape\", \"datatype\", \"data\"} tensors.");
        }

        var tensors = inputsElement.EnumerateArray().Select(ReadTensor).ToList();
        var duplicate = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw KeelException.Invalid($"Input '{duplicate.Key}' appears more than once in the infer request; input names must be unique.");
        }

        var rows = tensors[0].Shape[0];
        foreach (var tensor in tensors.Where(t => t.Shape[0] != rows))
        {
            throw KeelException.Invalid(
                $"Input '{tensor.Name}' has {tensor.Shape[0]} rows (shape {SignatureBinding.ShapeText(tensor.Shape)}) but input '{tensors[0].Name}' has {rows}; every input's first dimension is the batch.");
        }

        var table = signature.Inputs switch
        {
            null => new Table(tensors.SelectMany(t => Split(t, null, null))),
            { IsTensorBased: true } schema => BindTensors(tensors, schema),
            var schema => BindColumns(tensors, schema),
        };
        return new InferRequest(id, table, RequestedOutputs(root, signature), Parameters(root));
    }

    private static Table BindTensors(List<InferTensor> tensors, Schema schema)
    {
        var specs = schema.Tensors.ToList();
        var pairs = Match(tensors, specs, s => s.Name, required: _ => true, "input");
        var stacked = specs.Count == 1 && SignatureBinding.Width(specs[0], Code) != 1;
        return new Table(pairs.SelectMany(p =>
        {
            CheckShape(p.Tensor, p.Spec.Shape);
            return Split(p.Tensor, p.Spec.Dtype, stacked ? null : p.Spec.Name ?? p.Tensor.Name);
        }));
    }

    private static Table BindColumns(List<InferTensor> tensors, Schema schema)
    {
        var specs = schema.Columns.ToList();
        var pairs = Match(tensors, specs, s => s.Name, s => s.Required, "input column");
        return new Table(pairs.SelectMany(p =>
        {
            CheckShape(p.Tensor, [-1]);
            return Split(p.Tensor, p.Spec.Type, p.Spec.Name ?? p.Tensor.Name);
        }));
    }

    /// <summary>The request tensors paired with the signature's specs, by name (by position when unnamed), in the signature's order.</summary>
    private static List<(InferTensor Tensor, TSpec Spec)> Match<TSpec>(
        List<InferTensor> tensors, List<TSpec> specs, Func<TSpec, string?> name, Func<TSpec, bool> required, string what)
    {
        if (name(specs[0]) is null)
        {
            if (tensors.Count != specs.Count)
            {
                throw KeelException.Invalid(
                    $"The model takes {specs.Count} unnamed {what}{(specs.Count == 1 ? "" : "s")} but the infer request has {tensors.Count}: {string.Join(", ", tensors.Select(t => $"'{t.Name}'"))}.");
            }

            return [.. tensors.Zip(specs)];
        }

        var names = specs.Select(s => name(s)!).ToList();
        foreach (var tensor in tensors.Where(t => !names.Contains(t.Name, StringComparer.Ordinal)))
        {
            throw KeelException.Invalid(
                $"Unknown input '{tensor.Name}': the model's {what}s are {string.Join(", ", names.Select(n => $"'{n}'"))}.");
        }

        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var spec in specs.Where(s => required(s) && !byName.ContainsKey(name(s)!)))
        {
            throw KeelException.Invalid(
                $"Missing input '{name(spec)}': the model requires {what}s {string.Join(", ", names.Select(n => $"'{n}'"))}.");
        }

        return [.. specs.Where(s => byName.ContainsKey(name(s)!)).Select(s => (byName[name(s)!], s))];
    }

    /// <summary>The request shape must have the spec's rank (a [-1, 1] spec also takes [n], a [-1] spec [n, 1]) and its fixed dimensions.</summary>
    private static void CheckShape(InferTensor tensor, IReadOnlyList<long> expected)
    {
        var actual = tensor.Shape;
        var fits = actual.Count == expected.Count
            ? actual.Zip(expected).Skip(1).All(d => d.Second < 0 || d.First == d.Second) && (expected[0] < 0 || actual[0] == expected[0])
            : (actual.Count, expected.Count) switch
            {
                (1, 2) => expected[1] == 1,
                (2, 1) => actual[1] == 1,
                _ => false,
            };
        if (!fits)
        {
            throw KeelException.Invalid(
                $"Input '{tensor.Name}' has shape {SignatureBinding.ShapeText(actual)} but the model takes shape {SignatureBinding.ShapeText(expected)} (-1 = any size).");
        }
    }

    /// <summary>
    /// A tensor as columns: named <paramref name="columnName"/> when it has one value per row, else
    /// one column per value of a row ("0".."k-1"), typed by the signature type (or its datatype).
    /// </summary>
    private static IEnumerable<Column> Split(InferTensor tensor, string? signatureType, string? columnName)
    {
        var target = signatureType is null ? TypeOfDatatype(tensor.Datatype) : Cells.TypeOf(signatureType);
        if (signatureType is not null && !Convertible(tensor.Datatype, target))
        {
            throw KeelException.Invalid(
                $"Input '{tensor.Name}' has datatype {tensor.Datatype}, which cannot be converted to the model's {signatureType} ({DatatypeOf(signatureType)}).");
        }

        if (tensor.Shape.Count > 2)
        {
            throw KeelException.Invalid(
                $"Input '{tensor.Name}' has shape {SignatureBinding.ShapeText(tensor.Shape)}; Keel takes inputs of shape [n] and [n, k].");
        }

        var rows = (int)tensor.Shape[0];
        var width = tensor.Shape.Count == 1 ? 1 : (int)tensor.Shape[1];
        var typeName = signatureType ?? tensor.Datatype;
        if (width == 1 && (columnName is not null || tensor.Shape.Count == 1))
        {
            return [Cells.ToColumn(columnName ?? tensor.Name, tensor.Data, target, typeName, fromText: false, Code)];
        }

        if (columnName is not null)
        {
            throw KeelException.Invalid(
                $"Input '{tensor.Name}' has shape {SignatureBinding.ShapeText(tensor.Shape)}; it takes one value per row ([n] or [n, 1]).");
        }

        return SignatureBinding.DefaultNames(width).Select((n, c) =>
            Cells.ToColumn(n, [.. Enumerable.Range(0, rows).Select(r => tensor.Data[(r * width) + c])], target, typeName, fromText: false, Code));
    }

    private static InferTensor ReadTensor(JsonElement element, int index)
    {
        var where = $"inputs[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw KeelException.Invalid($"{where} must be an object {{\"name\", \"shape\", \"datatype\", \"data\"}}.");
        }

        var name = element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } text
            ? text
            : throw KeelException.Invalid($"{where} needs a 'name' string.");
        where = $"Input '{name}'";
        if (!element.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() == 0
            || !s.EnumerateArray().All(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) && v >= 0))
        {
            throw KeelException.Invalid($"{where} needs a 'shape': a non-empty list of non-negative integers.");
        }

        long[] shape = [.. s.EnumerateArray().Select(d => d.GetInt64())];
        var datatype = element.TryGetProperty("datatype", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (!Datatypes.Contains(datatype, StringComparer.Ordinal))
        {
            throw KeelException.Invalid($"{where} has datatype '{datatype}'; it must be one of {string.Join(", ", Datatypes)}.");
        }

        if (!element.TryGetProperty("data", out var data))
        {
            throw KeelException.Invalid($"{where} needs 'data', a list of values (flat or nested, row-major).");
        }

        var values = new List<object?>();
        Flatten(data, datatype, where, values);
        var size = shape.Aggregate(1L, (a, d) => a * d);
        if (size != values.Count)
        {
            throw KeelException.Invalid(
                $"{where} has shape {SignatureBinding.ShapeText(shape)}, which holds {size} values, but its data has {values.Count}.");
        }

        return new InferTensor(name, shape, datatype, [.. values]);
    }

    private static void Flatten(JsonElement value, string datatype, string where, List<object?> values)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                Flatten(item, datatype, where, values);
            }

            return;
        }

        var fits = datatype switch
        {
            "BOOL" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "BYTES" => value.ValueKind == JsonValueKind.String,
            _ when datatype.StartsWith("FP", StringComparison.Ordinal) => value.ValueKind == JsonValueKind.Number,
            _ => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var integer) && (integer >= 0 || !datatype.StartsWith('U')),
        };
        if (!fits)
        {
            throw KeelException.Invalid(
                $"{where} has datatype {datatype} but data value {values.Count} is {value.GetRawText()}; {DatatypeRule(datatype)}.");
        }

        values.Add(Cells.FromJson(value, where, Code));
    }

    private static List<string>? RequestedOutputs(JsonElement root, ModelSignature signature)
    {
        if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (outputs.ValueKind != JsonValueKind.Array
            || !outputs.EnumerateArray().All(o => o.ValueKind == JsonValueKind.Object && o.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String))
        {
            throw KeelException.Invalid("The infer request's 'outputs' must be a list of {\"name\": ...} objects.");
        }

        var names = outputs.EnumerateArray().Select(o => o.GetProperty("name").GetString()!).ToList();
        if (signature.Outputs is { HasNames: true } known)
        {
            foreach (var name in names.Where(n => !known.Names.Contains(n, StringComparer.Ordinal)))
            {
                throw KeelException.Invalid($"Unknown output '{name}' requested: the model's outputs are {string.Join(", ", known.Names.Select(k => $"'{k}'"))}.");
            }
        }

        return names;
    }

    private static Dictionary<string, JsonElement>? Parameters(JsonElement root)
    {
        if (!root.TryGetProperty("parameters", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return parameters.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    private static JsonDocument ParseDocument(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return JsonDocument.Parse(utf8Json.ToArray());
        }
        catch (JsonException ex)
        {
            throw KeelException.Invalid($"The infer request is not valid JSON: {ex.Message}");
        }
    }

    private sealed record InferTensor(string Name, IReadOnlyList<long> Shape, string Datatype, object?[] Data);
}
