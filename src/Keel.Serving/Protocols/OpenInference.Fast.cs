using System.Text.Json;
using Keel.Serving.Models;
using Keel.Tabular;
using Keel.Tabular.Chunks.Internal;

namespace Keel.Serving.Protocols;

// The common infer request read in one pass, without a JsonDocument or boxed cells.
public static partial class OpenInference
{
    // "0".."k-1", the column names of a stacked tensor, made once for the usual widths.
    private static readonly string[][] StackedNames = [.. Enumerable.Range(0, 33).Select(SignatureBinding.DefaultNames)];

    /// <summary>
    /// The common case in one forward pass: a body that is exactly
    /// <c>{"id"?: "...", "inputs": [{"name", "shape": [n, k], "datatype": "FP32"|"FP64", "data": [numbers, flat or in rows]}]}</c>
    /// for a model whose signature is one float or double tensor of shape [-1, k] (k ≥ 2) with that
    /// name (or unnamed). Anything else — outputs, parameters, another datatype or shape, a value
    /// that is not a number, a count that does not fit the shape — returns null and the general
    /// parser takes the body, so every error message comes from one place. The table is the one the
    /// general parser builds.
    /// </summary>
    internal static InferRequest? TryParseStackedInfer(ReadOnlySpan<byte> utf8Json, ModelSignature signature) =>
        TryParseStackedInfer(utf8Json, signature, out _);

    /// <param name="data">Where the tensor's <c>data</c> list lies in the body.</param>
    internal static InferRequest? TryParseStackedInfer(ReadOnlySpan<byte> utf8Json, ModelSignature signature, out Range data)
    {
        data = default;
        if (signature.Inputs is not { IsTensorBased: true, Fields.Count: 1 } schema
            || schema.Fields[0] is not TensorSpec { Shape.Count: 2 } spec
            || Cells.TypeOf(spec.Dtype) is not ({ } type and (ColumnType.Float or ColumnType.Double)))
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? id = null;
            bool sawId = false, sawInputs = false;
            FastTensor? tensor = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8) && !sawId)
                {
                    sawId = true;
                    if (!reader.Read() || reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                    {
                        return null;
                    }

                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("inputs"u8) && !sawInputs)
                {
                    sawInputs = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray
                        || (tensor = ReadFastTensor(ref reader)) is null
                        || !reader.Read() || reader.TokenType != JsonTokenType.EndArray)
                    {
                        return null;
                    }
                }
                else
                {
                    return null;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || tensor is null)
            {
                return null;
            }

            var (rows, width) = (tensor.Rows, tensor.Width);
            if (spec.Name is { } name && !string.Equals(name, tensor.Name, StringComparison.Ordinal))
            {
                return null;
            }

            if (rows <= 0 || width < 2 || (long)rows * width != tensor.Count
                || (spec.Shape[1] >= 0 && spec.Shape[1] != width) || (spec.Shape[0] >= 0 && spec.Shape[0] != rows))
            {
                return null;
            }

            var names = width < StackedNames.Length ? StackedNames[width] : SignatureBinding.DefaultNames(width);
            var columns = new Column[width];
            for (var c = 0; c < width; c++)
            {
                columns[c] = MlflowScoring.Slice(names[c], tensor.Values, rows, width, c, type);
            }

            data = tensor.Data;
            return new InferRequest(id, new Table(columns), null, null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The one tensor object of <c>inputs</c>; null when it is not the common case.</summary>
    private static FastTensor? ReadFastTensor(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? name = null, datatype = null;
        long rows = -1, width = -1;
        double[]? values = null;
        var count = 0;
        var data = default(Range);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8) && name is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.GetString() is not { Length: > 0 } text)
                {
                    return null;
                }

                name = text;
            }
            else if (reader.ValueTextEquals("shape"u8) && rows < 0)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray
                    || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out rows) || rows < 0
                    || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out width) || width < 0
                    || !reader.Read() || reader.TokenType != JsonTokenType.EndArray)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("datatype"u8) && datatype is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return null;
                }

                datatype = reader.ValueTextEquals("FP32"u8) ? "FP32" : reader.ValueTextEquals("FP64"u8) ? "FP64" : null;
                if (datatype is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("data"u8) && values is null)
            {
                values = new double[16];
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return null;
                }

                var start = (int)reader.TokenStartIndex;
                if (!ReadNumbers(ref reader, ref values, ref count, nested: false))
                {
                    return null;
                }

                data = start..((int)reader.TokenStartIndex + 1);
            }
            else
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && name is not null && datatype is not null && values is not null
            && rows >= 0 && rows <= int.MaxValue && width <= int.MaxValue
            ? new FastTensor(name, (int)rows, (int)width, values, count, data)
            : null;
    }

    /// <summary>Numbers up to the end of the array just opened, flat or (one level down) in rows; false on anything else.</summary>
    private static bool ReadNumbers(ref Utf8JsonReader reader, ref double[] values, ref int count, bool nested)
    {
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray:
                    return true;
                case JsonTokenType.StartArray when !nested:
                    if (!ReadNumbers(ref reader, ref values, ref count, nested: true))
                    {
                        return false;
                    }

                    break;
                case JsonTokenType.Number:
                    if (!Utf8Numbers.TryParseDouble(reader.ValueSpan, out var value) || !double.IsFinite(value))
                    {
                        return false;
                    }

                    if (count == values.Length)
                    {
                        Array.Resize(ref values, values.Length * 2);
                    }

                    values[count++] = value;
                    break;
                default:
                    return false;
            }
        }

        return false;
    }

    private sealed record FastTensor(string Name, int Rows, int Width, double[] Values, int Count, Range Data);
}
