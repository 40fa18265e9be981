using System.Text.Json;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

// Infer responses, model metadata, and the v2 datatype names.
public static partial class OpenInference
{
    /// <summary>
    /// Writes <c>{"model_name", "model_version"?, "id"?, "outputs": [{"name", "shape", "datatype", "data"}]}</c>:
    /// every output, or the requested ones in the requested order; data flat and row-major, NaN as null.
    /// </summary>
    public static void WriteInferResponse(
        Utf8JsonWriter w, string modelName, string? modelVersion, string? id, PredictionResult result, IReadOnlyList<string>? requestedOutputs)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(result);
        var outputs = requestedOutputs is null
            ? result.Outputs
            : [.. requestedOutputs.Select(name => result.TryGetOutput(name, out var output) ? output : throw KeelException.Invalid(
                $"Unknown output '{name}' requested: the model's outputs are {string.Join(", ", result.Outputs.Select(o => $"'{o.Name}'"))}."))];
        w.WriteStartObject();
        w.WriteString("model_name", modelName);
        if (modelVersion is not null)
        {
            w.WriteString("model_version", modelVersion);
        }

        if (id is not null)
        {
            w.WriteString("id", id);
        }

        w.WriteStartArray("outputs");
        foreach (var output in outputs)
        {
            w.WriteStartObject();
            w.WriteString("name", output.Name);
            w.WriteStartArray("shape");
            foreach (var dimension in output.Shape)
            {
                w.WriteNumberValue(dimension);
            }

            w.WriteEndArray();
            w.WriteString("datatype", DatatypeOf(output.ElementType));
            w.WriteStartArray("data");
            WriteData(w, output.Data);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Writes <c>{"name", "versions", "platform", "inputs", "outputs"}</c>: a tensor spec as its
    /// datatype and shape (-1 where dynamic), a column spec as one [-1] entry per column.
    /// </summary>
    public static void WriteModelMetadata(Utf8JsonWriter w, string modelName, IReadOnlyList<string> versions, string platform, ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(signature);
        w.WriteStartObject();
        w.WriteString("name", modelName);
        w.WriteStartArray("versions");
        foreach (var version in versions)
        {
            w.WriteStringValue(version);
        }

        w.WriteEndArray();
        w.WriteString("platform", platform);
        WriteSpecs(w, "inputs", signature.Inputs);
        WriteSpecs(w, "outputs", signature.Outputs);
        w.WriteEndObject();
    }

    /// <summary>The v2 datatype of an MLflow column type or NumPy dtype (BYTES for text, binary and anything else).</summary>
    public static string DatatypeOf(string signatureType) => signatureType switch
    {
        "double" or "float64" => "FP64",
        "float" or "float32" => "FP32",
        "float16" => "FP16",
        "long" or "int64" => "INT64",
        "integer" or "int32" => "INT32",
        "int16" => "INT16",
        "int8" => "INT8",
        "uint8" => "UINT8",
        "uint16" => "UINT16",
        "uint32" => "UINT32",
        "uint64" => "UINT64",
        "boolean" or "bool" => "BOOL",
        _ => "BYTES",
    };

    /// <summary>The v2 datatype of a prediction output's element type.</summary>
    public static string DatatypeOf(ColumnType type) => type switch
    {
        ColumnType.Float => "FP32",
        ColumnType.Double => "FP64",
        ColumnType.Int64 => "INT64",
        ColumnType.Int32 => "INT32",
        ColumnType.Boolean => "BOOL",
        _ => "BYTES",
    };

    private static void WriteSpecs(Utf8JsonWriter w, string property, Schema? schema)
    {
        w.WriteStartArray(property);
        var fields = schema?.Fields ?? [];
        for (var i = 0; i < fields.Count; i++)
        {
            var (type, shape) = fields[i] switch
            {
                TensorSpec tensor => (tensor.Dtype, tensor.Shape),
                ColumnSpec column => (column.Type, (IReadOnlyList<long>)[-1L]),
                _ => ("", [-1L]),
            };
            w.WriteStartObject();
            w.WriteString("name", fields[i].Name ?? $"{property[..^1]}_{i}");
            w.WriteString("datatype", DatatypeOf(type));
            w.WriteStartArray("shape");
            foreach (var dimension in shape)
            {
                w.WriteNumberValue(dimension);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteData(Utf8JsonWriter w, Array data)
    {
        switch (data)
        {
            case float[] floats:
                foreach (var value in floats)
                {
                    WriteNumber(w, value, float.IsFinite(value));
                }

                break;
            case double[] doubles:
                foreach (var value in doubles)
                {
                    WriteNumber(w, value, double.IsFinite(value));
                }

                break;
            case long[] longs:
                Array.ForEach(longs, w.WriteNumberValue);
                break;
            case int[] ints:
                Array.ForEach(ints, w.WriteNumberValue);
                break;
            case bool[] bools:
                Array.ForEach(bools, w.WriteBooleanValue);
                break;
            case string?[] strings:
                foreach (var value in strings)
                {
                    if (value is null)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        w.WriteStringValue(value);
                    }
                }

                break;
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, double value, bool finite)
    {
        if (finite)
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, float value, bool finite)
    {
        if (finite)
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static ColumnType? TypeOfDatatype(string datatype) => datatype switch
    {
        "FP32" or "FP16" => ColumnType.Float,
        "FP64" => ColumnType.Double,
        "INT32" or "INT16" or "INT8" or "UINT8" or "UINT16" => ColumnType.Int32,
        "BOOL" => ColumnType.Boolean,
        "BYTES" => ColumnType.String,
        _ => ColumnType.Int64,
    };

    /// <summary>BYTES only to text, BOOL only to booleans, integers to any number, floats to floats.</summary>
    private static bool Convertible(string datatype, ColumnType? target) => target switch
    {
        null => true,
        ColumnType.String => datatype == "BYTES",
        ColumnType.Boolean => datatype == "BOOL",
        ColumnType.Int64 or ColumnType.Int32 => datatype.Contains("INT", StringComparison.Ordinal),
        _ => datatype.Contains("INT", StringComparison.Ordinal) || datatype.StartsWith("FP", StringComparison.Ordinal),
    };

    private static string DatatypeRule(string datatype) => datatype switch
    {
        "BOOL" => "BOOL data must be true or false",
        "BYTES" => "BYTES data must be strings",
        _ when datatype.StartsWith("FP", StringComparison.Ordinal) => $"{datatype} data must be numbers",
        _ when datatype.StartsWith('U') => $"{datatype} data must be non-negative integers",
        _ => $"{datatype} data must be integers",
    };
}
