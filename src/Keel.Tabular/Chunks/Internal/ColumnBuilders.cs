using System.Text;
using System.Text.Json;
using Keel.Core.Errors;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>What messages about one column of one file say: where it is and why it has its type.</summary>
internal sealed record ColumnOrigin(string Where, string Name, string TypeReason);

/// <summary>
/// Fills one column of a chunk, one cell at a time, from UTF-8 text (a CSV field without its quotes,
/// a JSON number or string) or a JSON value. <see cref="Build"/> hands over the values and starts the
/// next chunk. A value that does not fit the type is a KeelException naming file, line and column.
/// </summary>
internal abstract class ColumnBuilder(ColumnOrigin origin, ChunkArrays arrays)
{
    protected ChunkArrays Arrays { get; } = arrays;

    protected int Capacity => Arrays.Length;

    public ColumnOrigin Origin { get; } = origin;

    public int Count { get; protected set; }

    /// <summary>A present value as text; empty text is missing except in a string column.</summary>
    public abstract void Append(ReadOnlySpan<byte> utf8, long line);

    public abstract void AppendMissing();

    /// <summary>The JSON value the reader is on: null is missing, numbers and booleans count as their text.</summary>
    public virtual void AppendJson(ref Utf8JsonReader json, long line)
    {
        switch (json.TokenType)
        {
            case JsonTokenType.Null:
                AppendMissing();
                break;
            case JsonTokenType.True:
                Append("true"u8, line);
                break;
            case JsonTokenType.False:
                Append("false"u8, line);
                break;
            case JsonTokenType.Number:
                Append(json.ValueSpan, line);
                break;
            case JsonTokenType.String when !json.ValueIsEscaped:
                Append(json.ValueSpan, line);
                break;
            case JsonTokenType.String:
                {
                    var buffer = new byte[json.ValueSpan.Length];
                    Append(buffer.AsSpan(0, json.CopyString(buffer)), line);
                    break;
                }

            default:
                throw NotScalar(json.TokenType, line);
        }
    }

    /// <summary>The chunk's values as a column; the builder is then empty, ready for the next chunk.</summary>
    public abstract Column Build();

    /// <summary>A builder that parses every value as <paramref name="type"/> (float as double, int32 as int64).</summary>
    public static ColumnBuilder Create(ColumnType type, ColumnOrigin origin, ChunkArrays arrays) => type switch
    {
        ColumnType.Double or ColumnType.Float => new DoubleBuilder(origin, arrays),
        ColumnType.Int64 or ColumnType.Int32 => new Int64Builder(origin, arrays),
        ColumnType.Boolean => new BooleanBuilder(origin, arrays),
        _ => new TextBuilder(origin, arrays),
    };

    protected KeelException NotA(string what, ReadOnlySpan<byte> utf8, long line)
    {
        var text = Encoding.UTF8.GetString(utf8);
        var shown = text.Length > 40 ? text[..40] + "…" : text;
        var error = KeelException.Invalid(
            $"{Origin.Where} line {line:N0}, column '{Origin.Name}': '{shown}' is not {what} ({Origin.TypeReason}).");
        error.Data[TableChunkReader.MismatchedColumnKey] = Origin.Name;
        return error;
    }

    /// <summary>The text of a cell, or an error naming file, line and column when its bytes are not UTF-8.</summary>
    protected string Text(ReadOnlySpan<byte> utf8, long line)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw NotUtf8(Origin.Where, line, $"column '{Origin.Name}'", utf8);
        }

        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>The error for bytes that are not UTF-8: where they are, the first bad byte, and what to do.</summary>
    public static KeelException NotUtf8(string where, long line, string what, ReadOnlySpan<byte> utf8)
    {
        System.Text.Unicode.Utf8.ToUtf16(utf8, new char[utf8.Length], out var valid, out _, replaceInvalidSequences: false);
        return KeelException.Invalid(
            $"{where} line {line:N0}, {what}: byte 0x{utf8[valid]:X2} at offset {valid} is not valid UTF-8. Keel reads text files as UTF-8; convert the file first (e.g. iconv -f latin1 -t utf-8).");
    }

    protected KeelException NotScalar(JsonTokenType token, long line) => KeelException.Invalid(
        $"{Origin.Where} line {line:N0}, column '{Origin.Name}' holds a JSON {(token == JsonTokenType.StartArray ? "list" : "object")}; one number, string, boolean or null per column is expected.");

    protected static T[] Take<T>(T[] values, int count) => count == values.Length ? values : values[..count];
}

internal sealed class DoubleBuilder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private double[] _values = arrays.Rent<double>();

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        if (utf8.IsEmpty)
        {
            AppendMissing();
            return;
        }

        if (!Utf8Numbers.TryParseDouble(utf8, out var value))
        {
            throw NotA("a number", utf8, line);
        }

        _values[Count++] = value;
    }

    public override void AppendMissing() => _values[Count++] = double.NaN;

    public override Column Build()
    {
        var column = new DoubleColumn(Origin.Name, Take(_values, Count));
        _values = Arrays.Rent<double>();
        Count = 0;
        return column;
    }
}

internal sealed class Int64Builder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private long[] _values = arrays.Rent<long>();
    private bool[]? _missing;

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        if (utf8.IsEmpty)
        {
            AppendMissing();
            return;
        }

        if (!Utf8Numbers.TryParseInt64(utf8, out var value))
        {
            // A JSON writer may put 3.0 for an integer; a whole double is still that integer.
            if (!Utf8Numbers.TryParseDouble(utf8, out var number) || number != Math.Floor(number) || Math.Abs(number) > 9.007199254740992E15)
            {
                throw NotA("an integer", utf8, line);
            }

            value = (long)number;
        }

        _values[Count++] = value;
    }

    public override void AppendMissing()
    {
        if (_missing is null)
        {
            // A recycled mask holds an earlier chunk's flags: clear it.
            _missing = Arrays.Rent<bool>();
            Array.Clear(_missing);
        }

        _missing[Count++] = true;
    }

    public override Column Build()
    {
        var column = new Int64Column(Origin.Name, Take(_values, Count), _missing is null ? null : Take(_missing, Count));
        _values = Arrays.Rent<long>();
        _missing = null;
        Count = 0;
        return column;
    }
}

internal sealed class BooleanBuilder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private bool[] _values = arrays.Rent<bool>();
    private bool[]? _missing;

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        if (utf8.IsEmpty)
        {
            AppendMissing();
            return;
        }

        if (!Utf8Numbers.TryParseBoolean(utf8, out var value))
        {
            throw NotA("true or false", utf8, line);
        }

        _values[Count++] = value;
    }

    public override void AppendMissing()
    {
        if (_missing is null)
        {
            // A recycled mask holds an earlier chunk's flags: clear it.
            _missing = Arrays.Rent<bool>();
            Array.Clear(_missing);
        }

        _missing[Count++] = true;
    }

    public override Column Build()
    {
        var column = new BooleanColumn(Origin.Name, Take(_values, Count), _missing is null ? null : Take(_missing, Count));
        _values = Arrays.Rent<bool>();
        _missing = null;
        Count = 0;
        return column;
    }
}

/// <summary>Strings; a value equal to the one before reuses its string, so a category column holds few strings.</summary>
internal sealed class TextBuilder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private const int RememberedBytes = 48;
    private const int Slots = 512;

    // Recently seen short values by a hash of their bytes: a column of repeated categories (the
    // common case) makes one string per distinct value instead of one per cell.
    private readonly byte[] _remembered = new byte[Slots * RememberedBytes];
    private readonly string?[] _strings = new string?[Slots];
    private string?[] _values = arrays.Rent<string?>();

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        if (utf8.Length > RememberedBytes)
        {
            _values[Count++] = Text(utf8, line);
            return;
        }

        var slot = Slot(utf8);
        var remembered = _strings[slot];
        var bytes = _remembered.AsSpan(slot * RememberedBytes, RememberedBytes);
        if (remembered is not null && bytes[0] == utf8.Length && utf8.SequenceEqual(bytes.Slice(1, utf8.Length)))
        {
            _values[Count++] = remembered;
            return;
        }

        var value = Text(utf8, line);
        if (utf8.Length < RememberedBytes)
        {
            bytes[0] = (byte)utf8.Length;
            utf8.CopyTo(bytes[1..]);
            _strings[slot] = value;
        }

        _values[Count++] = value;
    }

    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        var hash = (uint)utf8.Length * 0x9E3779B1u;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 0x01000193u;
        }

        return (int)((hash ^ (hash >> 15)) % Slots);
    }

    public override void AppendMissing() => _values[Count++] = null;

    public override Column Build()
    {
        var column = new StringColumn(Origin.Name, Take(_values, Count));
        _values = Arrays.Rent<string?>();
        Count = 0;
        return column;
    }
}

/// <summary>The first chunk of an undeclared CSV column: text kept, then typed as <see cref="TableReader"/> types a column.</summary>
internal sealed class CsvInferringBuilder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private readonly List<string?> _cells = new(Math.Min(arrays.Length, 4096));

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        _cells.Add(Text(utf8, line));
        Count++;
    }

    public override void AppendMissing()
    {
        _cells.Add(null);
        Count++;
    }

    public override Column Build()
    {
        var column = TableReader.InferColumn(Origin.Name, _cells);
        _cells.Clear();
        Count = 0;
        return column;
    }
}

/// <summary>The first chunk of an undeclared JSON column: values kept as JSON typed them (integer, number, boolean, string), then typed as MLflow's scoring server types them.</summary>
internal sealed class JsonInferringBuilder(ColumnOrigin origin, ChunkArrays arrays) : ColumnBuilder(origin, arrays)
{
    private readonly List<object?> _cells = new(Math.Min(arrays.Length, 4096));

    public override void Append(ReadOnlySpan<byte> utf8, long line)
    {
        _cells.Add(Text(utf8, line));
        Count++;
    }

    public override void AppendMissing()
    {
        _cells.Add(null);
        Count++;
    }

    public override void AppendJson(ref Utf8JsonReader json, long line)
    {
        object? cell = json.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String => json.GetString(),
            JsonTokenType.Number => json.TryGetInt64(out var integer) ? (object)integer : json.GetDouble(),
            _ => throw NotScalar(json.TokenType, line),
        };
        _cells.Add(cell);
        Count++;
    }

    public override Column Build()
    {
        var column = InferredColumns.FromCells(Origin.Name, [.. _cells]);
        _cells.Clear();
        Count = 0;
        return column;
    }
}
