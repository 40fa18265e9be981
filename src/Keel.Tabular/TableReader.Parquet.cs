using System.Globalization;
using Keel.Core.Errors;
using Parquet;
using Parquet.Schema;

namespace Keel.Tabular;

public static partial class TableReader
{
    /// <summary>
    /// Reads a Parquet file's flat columns: double, float, decimal → double/float; 64-bit and unsigned
    /// 32-bit integers → int64; smaller integers → int32; boolean; string; dates and times → ISO 8601
    /// strings. Nulls become missing values. Nested, list and binary columns are errors naming the column.
    /// </summary>
    private static async Task<Table> ReadParquetAsync(Stream stream, string? source, CancellationToken cancellationToken)
    {
        var where = Describe(source, "Parquet");
        if (!stream.CanSeek)
        {
            // Parquet keeps its metadata at the end of the file, so the reader has to seek.
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            copy.Position = 0;
            stream = copy;
        }

        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: true, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException)
        {
            throw KeelException.Invalid($"{where} cannot be read: {ex.Message}");
        }

        await using (reader)
        {
            foreach (var field in reader.Schema.Fields)
            {
                if (field is not DataField { IsArray: false })
                {
                    throw KeelException.Invalid(
                        $"{where} column '{field.Name}' is a {(field is DataField ? "list" : field.SchemaType.ToString().ToLowerInvariant())}; only flat columns of numbers, booleans, strings and dates can be read as a table.");
                }
            }

            var rows = 0L;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                rows += group.RowCount;
            }

            var columns = new List<Column>();
            foreach (var field in reader.Schema.GetDataFields())
            {
                columns.Add(await ReadParquetColumnAsync(reader, field, checked((int)rows), where, cancellationToken));
            }

            return new Table(columns);
        }
    }

    private static async Task<Column> ReadParquetColumnAsync(ParquetReader reader, DataField field, int rows, string where, CancellationToken ct)
    {
        var name = field.Name;
        var type = field.ClrType;
        if (type == typeof(double))
        {
            var (values, missing) = await ReadStructAsync<double>(reader, field, rows, ct);
            return new DoubleColumn(name, WithNaN(values, missing));
        }

        if (type == typeof(float))
        {
            var (values, missing) = await ReadStructAsync<float>(reader, field, rows, ct);
            if (missing is not null)
            {
                for (var i = 0; i < rows; i++)
                {
                    values[i] = missing[i] ? float.NaN : values[i];
                }
            }

            return new FloatColumn(name, values);
        }

        if (type == typeof(decimal))
        {
            var (values, missing) = await ReadStructAsync<decimal>(reader, field, rows, ct);
            return new DoubleColumn(name, WithNaN(Array.ConvertAll(values, v => (double)v), missing));
        }

        if (type == typeof(long))
        {
            var (values, missing) = await ReadStructAsync<long>(reader, field, rows, ct);
            return new Int64Column(name, values, missing);
        }

        if (type == typeof(ulong))
        {
            var (values, missing) = await ReadStructAsync<ulong>(reader, field, rows, ct);
            return new Int64Column(name, Array.ConvertAll(values, v => v <= long.MaxValue ? (long)v : throw KeelException.Invalid($"{where} column '{name}' holds {v}, which does not fit a 64-bit signed integer.")), missing);
        }

        if (type == typeof(uint))
        {
            var (values, missing) = await ReadStructAsync<uint>(reader, field, rows, ct);
            return new Int64Column(name, Array.ConvertAll(values, v => (long)v), missing);
        }

        if (type == typeof(int))
        {
            var (values, missing) = await ReadStructAsync<int>(reader, field, rows, ct);
            return new Int32Column(name, values, missing);
        }

        if (type == typeof(short))
        {
            var (values, missing) = await ReadStructAsync<short>(reader, field, rows, ct);
            return new Int32Column(name, Array.ConvertAll(values, v => (int)v), missing);
        }

        if (type == typeof(ushort))
        {
            var (values, missing) = await ReadStructAsync<ushort>(reader, field, rows, ct);
            return new Int32Column(name, Array.ConvertAll(values, v => (int)v), missing);
        }

        if (type == typeof(byte))
        {
            var (values, missing) = await ReadStructAsync<byte>(reader, field, rows, ct);
            return new Int32Column(name, Array.ConvertAll(values, v => (int)v), missing);
        }

        if (type == typeof(sbyte))
        {
            var (values, missing) = await ReadStructAsync<sbyte>(reader, field, rows, ct);
            return new Int32Column(name, Array.ConvertAll(values, v => (int)v), missing);
        }

        if (type == typeof(bool))
        {
            var (values, missing) = await ReadStructAsync<bool>(reader, field, rows, ct);
            return new BooleanColumn(name, values, missing);
        }

        // Parquet.Net 6 reports UTF-8 columns of a file as ReadOnlyMemory<char>, of a schema built in code as string.
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[rows];
            var offset = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                await group.ReadAsync(field, values.AsMemory(offset, count)!, null, ct);
                offset += count;
            }

            return new StringColumn(name, values);
        }

        if (type == typeof(DateTime))
        {
            var (values, missing) = await ReadStructAsync<DateTime>(reader, field, rows, ct);
            return AsText(name, values, missing, v => v.ToString("O", CultureInfo.InvariantCulture));
        }

        if (type == typeof(DateTimeOffset))
        {
            var (values, missing) = await ReadStructAsync<DateTimeOffset>(reader, field, rows, ct);
            return AsText(name, values, missing, v => v.ToString("O", CultureInfo.InvariantCulture));
        }

        if (type == typeof(DateOnly))
        {
            var (values, missing) = await ReadStructAsync<DateOnly>(reader, field, rows, ct);
            return AsText(name, values, missing, v => v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (type == typeof(TimeOnly))
        {
            var (values, missing) = await ReadStructAsync<TimeOnly>(reader, field, rows, ct);
            return AsText(name, values, missing, v => v.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
        }

        if (type == typeof(TimeSpan))
        {
            var (values, missing) = await ReadStructAsync<TimeSpan>(reader, field, rows, ct);
            return AsText(name, values, missing, v => v.ToString("c", CultureInfo.InvariantCulture));
        }

        throw KeelException.Invalid(
            $"{where} column '{name}' has type {type.Name}, which a table cannot hold; use numbers, booleans, strings or dates.");
    }

    private static async Task<(T[] Values, bool[]? Missing)> ReadStructAsync<T>(ParquetReader reader, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        var values = new T[rows];
        bool[]? missing = null;
        var offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = checked((int)group.RowCount);
            if (field.IsNullable)
            {
                var buffer = new T?[count];
                await group.ReadAsync<T>(field, buffer.AsMemory(), null, ct);
                for (var i = 0; i < count; i++)
                {
                    if (buffer[i] is { } value)
                    {
                        values[offset + i] = value;
                    }
                    else
                    {
                        missing ??= new bool[rows];
                        missing[offset + i] = true;
                    }
                }
            }
            else
            {
                await group.ReadAsync<T>(field, values.AsMemory(offset, count), null, ct);
            }

            offset += count;
        }

        return (values, missing);
    }

    private static double[] WithNaN(double[] values, bool[]? missing)
    {
        if (missing is not null)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = missing[i] ? double.NaN : values[i];
            }
        }

        return values;
    }

    private static StringColumn AsText<T>(string name, T[] values, bool[]? missing, Func<T, string> format) =>
        new(name, [.. values.Select((v, i) => missing is not null && missing[i] ? null : format(v))]);
}
