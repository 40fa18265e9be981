using System.Text.Json;
using Keel.Serving.Models;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

// The common request shape read in one pass, without a JsonDocument or boxed cells.
public static partial class MlflowScoring
{
    /// <summary>
    /// The common case in one forward pass over the bytes: a body that is exactly
    /// <c>{"dataframe_split": {"columns": [...], "data": [[numbers...], ...], "index"?: [...]}}</c>
    /// for a model whose inputs are all float or double (named columns, or one <c>[-1, k]</c>
    /// tensor). Anything else — another format, params, strings, nulls, a missing or extra column,
    /// a ragged row, no rows — returns null and the general parser takes the body, so every error
    /// message comes from one place. The table is the one the general parser builds.
    /// </summary>
    internal static ScoringInput? TryParseNumericSplit(ReadOnlySpan<byte> utf8Json, ModelSignature? signature) =>
        TryParseNumericSplit(utf8Json, signature, out _);

    /// <param name="split">Where the <c>dataframe_split</c> object lies in the body.</param>
    internal static ScoringInput? TryParseNumericSplit(ReadOnlySpan<byte> utf8Json, ModelSignature? signature, out Range split)
    {
        split = default;
        var inputs = signature?.Inputs;
        if (inputs is null || inputs.Fields.Count == 0)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject
                || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals("dataframe_split"u8)
                || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var splitStart = (int)reader.TokenStartIndex;
            string[]? names = null;
            double[]? values = null;
            var rows = 0;
            var sawIndex = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("columns"u8) && names is null)
                {
                    names = ReadNames(ref reader, inputs);
                    if (names is null)
                    {
                        return null;
                    }
                }
                else if (reader.ValueTextEquals("data"u8) && values is null && names is not null)
                {
                    (values, rows) = ReadRows(ref reader, names.Length);
                    if (values is null)
                    {
                        return null;
                    }
                }
                else if (reader.ValueTextEquals("index"u8) && !sawIndex)
                {
                    sawIndex = true;
                    if (!reader.Read() || reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        return null;
                    }

                    reader.Skip();
                }
                else
                {
                    // "data" before "columns", a repeated or unknown key: the general parser decides.
                    return null;
                }
            }

            // The end of dataframe_split, then of the body, and nothing after it.
            var splitEnd = (int)reader.TokenStartIndex + 1;
            if (reader.TokenType != JsonTokenType.EndObject || !reader.Read() || reader.TokenType != JsonTokenType.EndObject
                || reader.Read() || names is null || values is null || rows == 0)
            {
                return null;
            }

            var table = NumericTable(names, values, rows, inputs);
            split = splitStart..splitEnd;
            return table is null ? null : new ScoringInput(table, null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes a <c>dataframe_split</c> object of numbers (what <see cref="ScoringInput.SplitJson"/>
    /// holds) as JSON columns, <c>{"column": [values...], ...}</c>, copying each number's text as
    /// the caller sent it; the inference log's form of a request's inputs.
    /// </summary>
    public static void WriteSplitAsColumns(Utf8JsonWriter w, ReadOnlySpan<byte> split)
    {
        ArgumentNullException.ThrowIfNull(w);
        var reader = new Utf8JsonReader(split, new JsonReaderOptions { MaxDepth = 16 });
        var names = _logNames ??= new List<string>(16);
        names.Clear();
        var data = default(Range);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("columns"u8))
            {
                reader.Read();
                var recent = _logRecentNames;
                while (reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    // The writer thread's strings of the last record when they are the same names.
                    names.Add(NameAt(ref reader, names.Count, null, recent));
                }

                (_logNames, _logRecentNames) = (recent, names);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                data = start..((int)reader.TokenStartIndex + 1);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        WriteNumbersAsColumns(w, names, split[data]);
    }

    /// <summary>
    /// Writes a JSON list of numbers, flat or in rows, row-major over <paramref name="names"/>, as
    /// JSON columns (<c>{"name": [values...], ...}</c>), copying each number's text.
    /// </summary>
    public static void WriteNumbersAsColumns(Utf8JsonWriter w, IReadOnlyList<string> names, ReadOnlySpan<byte> numbers)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(names);
        var reader = new Utf8JsonReader(numbers, new JsonReaderOptions { MaxDepth = 16 });
        var cells = _cells ??= new List<Range>(64);
        cells.Clear();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                var start = (int)reader.TokenStartIndex;
                cells.Add(start..(start + reader.ValueSpan.Length));
            }
        }

        var width = names.Count;
        w.WriteStartObject();
        for (var c = 0; c < width; c++)
        {
            w.WriteStartArray(names[c]);
            for (var cell = c; cell < cells.Count; cell += width)
            {
                w.WriteRawValue(numbers[cells[cell]], skipInputValidation: true);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    // The inference log's writer thread reuses one list of number positions, and two of names
    // (this record's and the last one's).
    [ThreadStatic]
    private static List<Range>? _cells;

    [ThreadStatic]
    private static List<string>? _logNames;

    [ThreadStatic]
    private static List<string>? _logRecentNames;

    private static string[]? ReadNames(ref Utf8JsonReader reader, Schema inputs)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }

        var known = inputs.Names;
        var recent = _recentNames;
        var names = _names ??= new List<string>(16);
        names.Clear();
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            // The signature's own string when the name is one of them, else the one this thread read
            // last at that place (a tensor signature has no column names): no string per request.
            names.Add(NameAt(ref reader, names.Count, known, recent));
        }

        if (reader.TokenType != JsonTokenType.EndArray || names.Count == 0)
        {
            return null;
        }

        string[] result = [.. names];
        _recentNames = result;
        return result;
    }

    /// <summary>
    /// The string the reader is on, as one already held when it is the same text: the one at
    /// <paramref name="at"/> in <paramref name="known"/>, else in <paramref name="recent"/>.
    /// </summary>
    private static string NameAt(ref Utf8JsonReader reader, int at, IReadOnlyList<string>? known, IReadOnlyList<string>? recent) =>
        known is not null && at < known.Count && reader.ValueTextEquals(known[at]) ? known[at]
        : recent is not null && at < recent.Count && reader.ValueTextEquals(recent[at]) ? recent[at]
        : reader.GetString()!;

    [ThreadStatic]
    private static List<string>? _names;

    [ThreadStatic]
    private static string[]? _recentNames;

    /// <summary>Rows of exactly <paramref name="width"/> numbers, row-major; null values on anything else.</summary>
    private static (double[]? Values, int Rows) ReadRows(ref Utf8JsonReader reader, int width)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return (null, 0);
        }

        var values = new double[width * 4];
        var count = 0;
        var rows = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return (values, rows);
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return (null, 0);
            }

            for (var c = 0; c < width; c++)
            {
                // Plain decimals ("5.1") take the exact fast path of the CSV reader; the rest the full parser.
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number
                    || !Keel.Tabular.Chunks.Internal.Utf8Numbers.TryParseDouble(reader.ValueSpan, out var value) || !double.IsFinite(value))
                {
                    return (null, 0);
                }

                if (count == values.Length)
                {
                    Array.Resize(ref values, values.Length * 2);
                }

                values[count++] = value;
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
            {
                return (null, 0);
            }

            rows++;
        }

        return (null, 0);
    }

    /// <summary>The signature's float/double columns from row-major values; null when the inputs are of another kind or names disagree.</summary>
    private static Table? NumericTable(string[] names, double[] values, int rows, Schema inputs)
    {
        var width = names.Length;
        if (inputs.IsTensorBased)
        {
            // One [-1, k] tensor: the request's columns in the request's order (as binding stacks them).
            if (inputs.Fields.Count != 1 || inputs.Fields[0] is not TensorSpec { Shape.Count: 2 } tensor || tensor.Shape[1] != width
                || Cells.TypeOf(tensor.Dtype) is not ({ } type and (ColumnType.Float or ColumnType.Double))
                || HasDuplicate(names))
            {
                return null;
            }

            var stacked = new Column[width];
            for (var c = 0; c < width; c++)
            {
                stacked[c] = Slice(names[c], values, rows, width, c, type);
            }

            return new Table(stacked);
        }

        if (!inputs.HasNames || inputs.Fields.Count != width)
        {
            return null;
        }

        var columns = new Column[width];
        var f = 0;
        foreach (var field in inputs.Fields)
        {
            if (field is not ColumnSpec spec)
            {
                return null;
            }

            var at = Array.IndexOf(names, spec.Name);
            if (at < 0 || Array.IndexOf(names, spec.Name, at + 1) >= 0
                || Cells.TypeOf(spec.Type) is not ({ } type and (ColumnType.Float or ColumnType.Double)))
            {
                return null;
            }

            columns[f++] = Slice(spec.Name!, values, rows, width, at, type);
        }

        return f == width ? new Table(columns) : null;
    }

    private static bool HasDuplicate(string[] names)
    {
        for (var i = 1; i < names.Length; i++)
        {
            if (Array.IndexOf(names, names[i], 0, i) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Column <paramref name="column"/> of row-major values as a float or double column (the one-pass readers of both protocols).</summary>
    internal static Column Slice(string name, double[] values, int rows, int width, int column, ColumnType type)
    {
        if (type == ColumnType.Float)
        {
            var floats = new float[rows];
            for (var r = 0; r < rows; r++)
            {
                floats[r] = (float)values[(r * width) + column];
            }

            return new FloatColumn(name, floats);
        }

        var doubles = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            doubles[r] = values[(r * width) + column];
        }

        return new DoubleColumn(name, doubles);
    }
}
