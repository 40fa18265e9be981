using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Tabular;

namespace Keel.Serving.Predictors;

/// <summary>
/// One named model output: a flat, row-major array (<c>float[]</c>, <c>double[]</c>, <c>long[]</c>,
/// <c>int[]</c>, <c>bool[]</c> or <c>string?[]</c>) and its shape, whose first dimension is the row.
/// An ONNX <c>label</c> is int64 [N]; <c>probabilities</c> float [N,3]; an ML.NET <c>Score</c>
/// vector float [N,k] with the class names in <see cref="SlotNames"/> when the model knows them.
/// </summary>
public sealed class PredictionTensor
{
    public PredictionTensor(string name, Array data, IReadOnlyList<long> shape, IReadOnlyList<string>? slotNames = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        ElementType = data switch
        {
            float[] => ColumnType.Float,
            double[] => ColumnType.Double,
            long[] => ColumnType.Int64,
            int[] => ColumnType.Int32,
            bool[] => ColumnType.Boolean,
            string[] => ColumnType.String,
            _ => throw new ArgumentException($"Output '{name}' holds {data.GetType().Name}; use float, double, long, int, bool or string arrays.", nameof(data)),
        };

        // A scalar output is one row of one value.
        Shape = shape.Count == 0 ? [1] : shape;
        var size = Shape.Aggregate(1L, (a, d) => a * d);
        if (size != data.Length)
        {
            throw new ArgumentException($"Output '{name}' has {data.Length} values but its shape [{string.Join(", ", Shape)}] holds {size}.", nameof(data));
        }

        Name = name;
        Data = data;
        RowCount = checked((int)Shape[0]);
        RowWidth = RowCount == 0 ? (int)Shape.Skip(1).Aggregate(1L, (a, d) => a * d) : data.Length / RowCount;
        SlotNames = slotNames;
    }

    public string Name { get; }

    public ColumnType ElementType { get; }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>The values, flat and row-major.</summary>
    public Array Data { get; }

    public int RowCount { get; }

    /// <summary>Values per row: 1 for [N] and [N,1], k for [N,k].</summary>
    public int RowWidth { get; }

    /// <summary>A name per value of a row (e.g. the class of each score), when the model has them.</summary>
    public IReadOnlyList<string>? SlotNames { get; }

    public bool IsNumeric => ElementType is not ColumnType.String;

    /// <summary>The values as an array of their own type, e.g. <c>GetData&lt;float&gt;()</c>.</summary>
    public T[] GetData<T>() => Data as T[]
        ?? throw new InvalidOperationException($"Output '{Name}' holds {ElementType} values, not {typeof(T).Name}.");

    /// <summary>A value (flat index) as a double; booleans are 0 and 1, strings throw a KeelException.</summary>
    public double GetDouble(int index) => Data switch
    {
        float[] f => f[index],
        double[] d => d[index],
        long[] l => l[index],
        int[] i => i[index],
        bool[] b => b[index] ? 1 : 0,
        _ => throw KeelException.Invalid($"Model output '{Name}' holds strings; a number was expected."),
    };

    /// <summary>A value (flat index) as invariant text, formatted as table columns format theirs.</summary>
    public string? GetString(int index) => Data switch
    {
        float[] f => Column.Format(f[index]),
        double[] d => Column.Format(d[index]),
        long[] l => l[index].ToString(CultureInfo.InvariantCulture),
        int[] i => i[index].ToString(CultureInfo.InvariantCulture),
        bool[] b => Column.Format(b[index]),
        string?[] s => s[index],
        _ => null,
    };

    /// <summary>The values of one row as doubles.</summary>
    public double[] GetRowDoubles(int row)
    {
        var values = new double[RowWidth];
        for (var i = 0; i < RowWidth; i++)
        {
            values[i] = GetDouble((row * RowWidth) + i);
        }

        return values;
    }

    /// <summary>The whole output as nested JSON lists following its shape (NumPy's <c>tolist()</c>); NaN and infinities become null.</summary>
    public JsonNode ToJson()
    {
        var index = 0;
        return Nest(0, ref index)!;
    }

    /// <summary>One row as JSON: a bare value for an [N] output, a (nested) list for [N,k,…].</summary>
    public JsonNode? RowToJson(int row)
    {
        var index = row * RowWidth;
        return Shape.Count == 1 ? ValueToJson(index) : Nest(1, ref index);
    }

    private JsonNode? Nest(int dimension, ref int index)
    {
        if (dimension == Shape.Count)
        {
            return ValueToJson(index++);
        }

        var list = new JsonArray();
        for (var i = 0; i < Shape[dimension]; i++)
        {
            list.Add(Nest(dimension + 1, ref index));
        }

        return list;
    }

    /// <summary>Writes <see cref="ToJson"/>'s value without building it.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var index = 0;
        Write(writer, 0, ref index);
    }

    /// <summary>Writes <see cref="RowToJson"/>'s value without building it.</summary>
    public void WriteRow(Utf8JsonWriter writer, int row)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var index = row * RowWidth;
        if (Shape.Count == 1)
        {
            WriteValue(writer, index);
        }
        else
        {
            Write(writer, 1, ref index);
        }
    }

    /// <summary>One value (flat index); NaN and infinities are written as null.</summary>
    public void WriteValue(Utf8JsonWriter writer, int index)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (Data)
        {
            case float[] f when float.IsFinite(f[index]):
                writer.WriteNumberValue(f[index]);
                break;
            case double[] d when double.IsFinite(d[index]):
                writer.WriteNumberValue(d[index]);
                break;
            case long[] l:
                writer.WriteNumberValue(l[index]);
                break;
            case int[] i:
                writer.WriteNumberValue(i[index]);
                break;
            case bool[] b:
                writer.WriteBooleanValue(b[index]);
                break;
            case string?[] s when s[index] is { } text:
                writer.WriteStringValue(text);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private void Write(Utf8JsonWriter writer, int dimension, ref int index)
    {
        if (dimension == Shape.Count)
        {
            WriteValue(writer, index++);
            return;
        }

        writer.WriteStartArray();
        for (var i = 0; i < Shape[dimension]; i++)
        {
            Write(writer, dimension + 1, ref index);
        }

        writer.WriteEndArray();
    }

    /// <summary>One value (flat index) as JSON; NaN and infinities become null.</summary>
    internal JsonNode? ValueToJson(int index) => Data switch
    {
        float[] f => float.IsFinite(f[index]) ? JsonValue.Create(f[index]) : null,
        double[] d => double.IsFinite(d[index]) ? JsonValue.Create(d[index]) : null,
        long[] l => JsonValue.Create(l[index]),
        int[] i => JsonValue.Create(i[index]),
        bool[] b => JsonValue.Create(b[index]),
        string?[] s => s[index] is { } text ? JsonValue.Create(text) : null,
        _ => null,
    };

    public override string ToString() => $"{Name}: {ElementType.ToString().ToLowerInvariant()}[{string.Join(", ", Shape)}]";
}
