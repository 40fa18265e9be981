using System.Globalization;
using Keel.Core.Errors;
using Keel.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Serving.Internal;

/// <summary>
/// Table columns → the values an ML.NET input schema asks for. A schema column takes the table
/// column of the same name, converted to its type (numbers to Single/Double/integers, booleans, text,
/// keys from integers). A fixed-size vector column the table does not have is stacked from table
/// columns: its slot names when the table has them all, else the table columns no other input claims,
/// in table order, exactly as many as the vector holds. An optional column (one the model does not
/// read, or the label) that the table lacks is filled with missing values; a required one is an error
/// naming it.
/// </summary>
internal static class TableColumnSources
{
    public static ColumnSource[] Create(DataViewSchema inputSchema, Table table, IReadOnlySet<string> optionalInputs)
    {
        var claimed = inputSchema.Where(c => table.Contains(c.Name)).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return [.. inputSchema.Select(column => Create(column, table, optionalInputs, claimed))];
    }

    private static ColumnSource Create(DataViewSchema.Column column, Table table, IReadOnlySet<string> optionalInputs, HashSet<string> claimed)
    {
        var (itemType, width) = column.Type is VectorDataViewType vector ? (vector.ItemType, vector.IsKnownSize ? vector.Size : -1) : (column.Type, 0);
        if (table.TryGetColumn(column.Name, out var own))
        {
            if (width is not (0 or 1))
            {
                throw KeelException.Invalid(
                    $"The model's input column '{column.Name}' is a vector of {Describe(width)} values, but the input column of that name holds one value per row.");
            }

            return Source(itemType, [own], table.RowCount, width, column.Name);
        }

        if (width > 1 && !column.IsHidden)
        {
            var slotNames = SlotNames(column);
            var parts = slotNames.Count == width && slotNames.All(table.Contains)
                ? [.. slotNames.Select(n => table[n])]
                : table.Columns.Where(c => !claimed.Contains(c.Name)).ToList();
            if (parts.Count == width)
            {
                return Source(itemType, parts, table.RowCount, width, column.Name);
            }

            if (!optionalInputs.Contains(column.Name))
            {
                throw KeelException.Invalid(
                    $"The model's input column '{column.Name}' is a vector of {width} values; pass a column of that name, or exactly {width} feature columns to stack into it (the input has {parts.Count} unclaimed: {string.Join(", ", parts.Select(c => c.Name))}).");
            }
        }

        if (optionalInputs.Contains(column.Name) || column.IsHidden)
        {
            return Missing(itemType, table.RowCount, Math.Max(width, 0), column.Name);
        }

        throw KeelException.Invalid(
            $"The model's input column '{column.Name}' ({column.Type}) is missing from the input; the columns are: {string.Join(", ", table.ColumnNames)}.");
    }

    /// <summary>Converted values; width 0 is a scalar column, otherwise a vector of that width stacked from the columns.</summary>
    private static ColumnSource Source(DataViewType itemType, IReadOnlyList<Column> columns, int rows, int width, string target)
    {
        if (itemType is KeyDataViewType)
        {
            return Make(Fill(columns, rows, (c, r) => c.IsMissing(r) ? 0u : checked((uint)Whole(c, r, target, "key"))), width);
        }

        var raw = itemType.RawType;
        if (raw != typeof(ReadOnlyMemory<char>) && raw != typeof(bool))
        {
            foreach (var column in columns.Where(c => c.Type == ColumnType.String))
            {
                throw KeelException.Invalid(
                    $"Input column '{column.Name}' holds strings but the model's input column '{target}' takes {itemType} values.");
            }
        }

        return raw switch
        {
            _ when raw == typeof(float) => Make(Fill(columns, rows, (c, r) => (float)c.GetDouble(r)), width),
            _ when raw == typeof(double) => Make(Fill(columns, rows, (c, r) => c.GetDouble(r)), width),
            _ when raw == typeof(int) => Make(Fill(columns, rows, (c, r) => checked((int)Whole(c, r, target, "Int32"))), width),
            _ when raw == typeof(long) => Make(Fill(columns, rows, (c, r) => Whole(c, r, target, "Int64")), width),
            _ when raw == typeof(short) => Make(Fill(columns, rows, (c, r) => checked((short)Whole(c, r, target, "Int16"))), width),
            _ when raw == typeof(uint) => Make(Fill(columns, rows, (c, r) => checked((uint)Whole(c, r, target, "UInt32"))), width),
            _ when raw == typeof(byte) => Make(Fill(columns, rows, (c, r) => checked((byte)Whole(c, r, target, "Byte"))), width),
            _ when raw == typeof(bool) => Make(Fill(columns, rows, (c, r) => Boolean(c, r, target)), width),
            _ when raw == typeof(ReadOnlyMemory<char>) => Make(Fill(columns, rows, (c, r) => (c.GetString(r) ?? "").AsMemory()), width),
            _ => throw KeelException.Invalid(
                $"The model's input column '{target}' takes {itemType} values, which Keel does not make from a table; it feeds numbers, booleans, text and keys."),
        };
    }

    /// <summary>Missing values of the column's type: NaN for floats, 0 (ML.NET's missing key) for keys, empty text, default otherwise.</summary>
    private static ColumnSource Missing(DataViewType itemType, int rows, int width, string target)
    {
        var count = rows * Math.Max(width, 1);
        var raw = itemType.RawType;
        return raw switch
        {
            _ when raw == typeof(float) => Make(Filled(count, float.NaN), width),
            _ when raw == typeof(double) => Make(Filled(count, double.NaN), width),
            _ when raw == typeof(int) => Make(new int[count], width),
            _ when raw == typeof(long) => Make(new long[count], width),
            _ when raw == typeof(short) => Make(new short[count], width),
            _ when raw == typeof(uint) => Make(new uint[count], width),
            _ when raw == typeof(ulong) => Make(new ulong[count], width),
            _ when raw == typeof(byte) => Make(new byte[count], width),
            _ when raw == typeof(bool) => Make(new bool[count], width),
            _ when raw == typeof(ReadOnlyMemory<char>) => Make(Filled(count, ReadOnlyMemory<char>.Empty), width),
            _ when raw == typeof(DateTime) => Make(new DateTime[count], width),
            _ => throw KeelException.Invalid($"The model's input column '{target}' takes {itemType} values, which Keel cannot fill in."),
        };
    }

    private static ColumnSource Make<T>(T[] values, int width) =>
        width == 0 ? new ScalarSource<T>(values) : new VectorSource<T>(values, width);

    private static T[] Filled<T>(int count, T value)
    {
        var values = new T[count];
        Array.Fill(values, value);
        return values;
    }

    private static T[] Fill<T>(IReadOnlyList<Column> columns, int rows, Func<Column, int, T> value)
    {
        var width = columns.Count;
        var data = new T[rows * width];
        for (var c = 0; c < width; c++)
        {
            for (var r = 0; r < rows; r++)
            {
                data[(r * width) + c] = value(columns[c], r);
            }
        }

        return data;
    }

    private static long Whole(Column column, int row, string target, string type)
    {
        if (column.IsMissing(row))
        {
            throw KeelException.Invalid(
                $"Input column '{column.Name}' has a missing value in row {row}; the model's input column '{target}' takes {type} values, which cannot be missing.");
        }

        return column switch
        {
            Int64Column longs => longs.Values[row],
            Int32Column ints => ints.Values[row],
            _ when column.GetDouble(row) is var number && number == Math.Floor(number) && Math.Abs(number) < 9.2e18 => (long)number,
            _ => throw KeelException.Invalid(
                $"Input column '{column.Name}' holds {column.GetString(row)} in row {row}; the model's input column '{target}' takes {type} values, so it must be a whole number."),
        };
    }

    private static bool Boolean(Column column, int row, string target) => column switch
    {
        _ when column.IsMissing(row) => throw KeelException.Invalid(
            $"Input column '{column.Name}' has a missing value in row {row}; the model's input column '{target}' takes booleans, which cannot be missing."),
        BooleanColumn booleans => booleans.Values[row],
        StringColumn strings when bool.TryParse(strings.Values[row], out var parsed) => parsed,
        StringColumn strings => throw KeelException.Invalid(
            $"Input column '{column.Name}' holds '{strings.Values[row]}' in row {row}; the model's input column '{target}' takes booleans (true or false)."),
        _ => column.GetDouble(row) != 0,
    };

    private static List<string> SlotNames(DataViewSchema.Column column)
    {
        if (!column.HasSlotNames())
        {
            return [];
        }

        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetSlotNames(ref names);
        return [.. names.DenseValues().Select(n => n.ToString())];
    }

    private static string Describe(int width) => width < 0 ? "a variable number of" : width.ToString(CultureInfo.InvariantCulture);
}
