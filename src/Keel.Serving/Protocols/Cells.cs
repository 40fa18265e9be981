using System.Globalization;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

/// <summary>A named column of untyped request values, before the signature gives it a type.</summary>
internal sealed record RawColumn(string Name, object?[] Cells);

/// <summary>
/// Request values between JSON (or CSV) and a typed <see cref="Column"/>. A cell is null (missing),
/// <see cref="bool"/>, <see cref="long"/> (an integral JSON number), <see cref="double"/>,
/// <see cref="string"/>, or <c>object?[]</c> (a JSON list of cells).
/// </summary>
internal static class Cells
{
    private const NumberStyles IntegerStyle =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;

    /// <summary>A JSON value as a cell; an object is an error naming <paramref name="where"/>.</summary>
    public static object? FromJson(JsonElement value, string where, ErrorCode code) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var integer) ? (object)integer
            : value.TryGetDouble(out var number) ? number
            : throw new KeelException(code, $"{where} holds the number {value.GetRawText()}, which is out of the range of a 64-bit float."),
        JsonValueKind.Array => value.EnumerateArray().Select(item => FromJson(item, where, code)).ToArray(),
        _ => throw new KeelException(code, $"{where} holds a JSON object; Keel takes numbers, strings, booleans, null and lists of them there."),
    };

    /// <summary>The table type a signature type stands for; null when Keel keeps the values as they came.</summary>
    public static ColumnType? TypeOf(string signatureType) => signatureType switch
    {
        "double" or "float64" => ColumnType.Double,
        "float" or "float32" or "float16" => ColumnType.Float,
        "long" or "int64" or "int16" or "int8" or "uint8" or "uint16" or "uint32" => ColumnType.Int64,
        "integer" or "int32" => ColumnType.Int32,
        "boolean" or "bool" => ColumnType.Boolean,
        "string" or "str" or "object" => ColumnType.String,
        _ => null,
    };

    /// <summary>
    /// The cells as a column of <paramref name="target"/> (MLflow name <paramref name="typeName"/>),
    /// or of the inferred type when <paramref name="target"/> is null. Numeric text converts to
    /// numbers; numbers and booleans convert to text only when <paramref name="fromText"/> (CSV).
    /// </summary>
    public static Column ToColumn(string name, object?[] cells, ColumnType? target, string typeName, bool fromText, ErrorCode code)
    {
        for (var row = 0; row < cells.Length; row++)
        {
            if (cells[row] is object?[])
            {
                throw new KeelException(code, $"Column '{name}' holds a list in row {row}; one {typeName} value per row was expected.");
            }
        }

        KeelException Wrong(int row) => new(code,
            $"Incompatible input types for column '{name}': the signature expects {typeName} but row {row} holds {Describe(cells[row])}.");

        switch (target)
        {
            case null:
                return Infer(name, cells);
            case ColumnType.Double:
                return new DoubleColumn(name, Map(cells, (cell, row) => ToDouble(cell) ?? throw Wrong(row)));
            case ColumnType.Float:
                return new FloatColumn(name, Map(cells, (cell, row) => (float)(ToDouble(cell) ?? throw Wrong(row))));
            case ColumnType.Int64:
                {
                    var missing = Map(cells, (cell, _) => cell is null);
                    return new Int64Column(name, Map(cells, (cell, row) => cell is null ? 0 : ToLong(cell) ?? throw Wrong(row)), missing);
                }

            case ColumnType.Int32:
                {
                    var missing = Map(cells, (cell, _) => cell is null);
                    return new Int32Column(name, Map(cells, (cell, row) => cell is null ? 0
                        : ToLong(cell) is { } value && value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Wrong(row)), missing);
                }

            case ColumnType.Boolean:
                {
                    var missing = Map(cells, (cell, _) => cell is null);
                    return new BooleanColumn(name, Map(cells, (cell, row) => cell is null ? false : ToBoolean(cell) ?? throw Wrong(row)), missing);
                }

            default:
                return new StringColumn(name, Map(cells, (cell, row) => cell switch
                {
                    null => null,
                    string text => text,
                    _ when fromText => Text(cell),
                    _ => throw Wrong(row),
                }));
        }
    }

    /// <summary>A column typed from the values: int64 when all are integers, double when all are numbers, boolean, string otherwise.</summary>
    public static Column Infer(string name, object?[] cells) => InferredColumns.FromCells(name, cells);

    /// <summary>What a cell is, for messages: <c>the string "abc"</c>, <c>the number 5.1</c>, <c>a list</c>.</summary>
    public static string Describe(object? cell) => cell switch
    {
        null => "a missing value",
        string text => $"the string \"{(text.Length > 40 ? text[..40] + "…" : text)}\"",
        bool flag => $"the boolean {Column.Format(flag)}",
        long or double => $"the number {Text(cell)}",
        _ => "a list",
    };

    public static string Text(object? cell) => cell switch
    {
        bool flag => Column.Format(flag),
        long integer => integer.ToString(CultureInfo.InvariantCulture),
        double number => Column.Format(number),
        object?[] list => "[" + string.Join(", ", list.Select(Text)) + "]",
        _ => cell?.ToString() ?? "null",
    };

    private static double? ToDouble(object? cell) => cell switch
    {
        null => double.NaN,
        long integer => integer,
        double number => number,
        string text when TableReader.TryParseDouble(text, out var parsed) => parsed,
        _ => null,
    };

    private static long? ToLong(object? cell) => cell switch
    {
        long integer => integer,
        double number when number == Math.Floor(number) && number >= long.MinValue && number < 9.2233720368547758E18 => (long)number,
        string text when long.TryParse(text, IntegerStyle, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static bool? ToBoolean(object? cell) => cell switch
    {
        bool flag => flag,
        string text when text.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) => true,
        string text when text.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) => false,
        _ => null,
    };

    private static T[] Map<T>(object?[] cells, Func<object?, int, T> convert)
    {
        var values = new T[cells.Length];
        for (var row = 0; row < cells.Length; row++)
        {
            values[row] = convert(cells[row], row);
        }

        return values;
    }
}
