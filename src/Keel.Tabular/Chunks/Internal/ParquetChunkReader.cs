using System.Globalization;
using System.Runtime.CompilerServices;
using Keel.Core.Errors;
using Parquet;
using Parquet.Schema;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>
/// Parquet one row group at a time (a group larger than a chunk is handed out in chunk-sized
/// slices), with the column types <see cref="TableReader"/> gives Parquet's: double, float and
/// decimal as numbers, integers as int64 or int32, booleans, strings, dates and times as ISO 8601
/// text; nulls are missing values. Memory follows the largest row group, not the file.
/// </summary>
internal sealed class ParquetChunkReader(string path, int chunkRows, Func<Stream>? open) : TableChunkReader(path, BatchFileFormat.Parquet, chunkRows)
{
    private Stream? _stream;
    private ParquetReader? _reader;

    public override async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.DisposeAsync();
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }
    }

    /// <summary>Parquet.Net fills arrays of its own; there is nothing to reuse.</summary>
    internal override void Recycle(params Table[] tables)
    {
    }

    private protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        _stream = open?.Invoke() ?? new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);
        try
        {
            _reader = await ParquetReader.CreateAsync(_stream, null, leaveStreamOpen: true, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException)
        {
            throw KeelException.Invalid($"{Where} cannot be read: {ex.Message}");
        }

        ColumnNames = [.. _reader.Schema.Fields.Select(f => f.Name)];
        var rows = 0L;
        for (var g = 0; g < _reader.RowGroupCount; g++)
        {
            using var group = _reader.OpenRowGroupReader(g);
            rows += group.RowCount;
        }

        RowCount = rows;
    }

    private protected override async IAsyncEnumerable<TableChunk> ReadCoreAsync(
        IReadOnlyList<string> columns, IReadOnlyDictionary<string, ColumnType> types, string typeReason,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _reader!;
        var fields = columns.Select(name => Flat(reader.Schema.Fields.First(f => string.Equals(f.Name, name, StringComparison.Ordinal)))).ToArray();
        foreach (var field in fields)
        {
            if (types.TryGetValue(field.Name, out var declared) && declared != ColumnType.String && IsText(field.ClrType))
            {
                throw KeelException.Invalid($"{Where} column '{field.Name}' holds strings, but it must hold {declared.ToString().ToLowerInvariant()} values ({typeReason}).");
            }
        }

        var total = (double)Math.Max(1, RowCount ?? 1);
        long firstRow = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            Table group;
            using (var rowGroup = reader.OpenRowGroupReader(g))
            {
                var rows = checked((int)rowGroup.RowCount);
                var read = new List<Column>(fields.Length);
                foreach (var field in fields)
                {
                    read.Add(await ReadColumnAsync(rowGroup, field, rows, cancellationToken));
                }

                group = new Table(read);
            }

            for (var offset = 0; offset < group.RowCount; offset += ChunkRows)
            {
                var count = Math.Min(ChunkRows, group.RowCount - offset);
                var table = count == group.RowCount ? group : new Table(group.Columns.Select(c => ColumnSlices.Slice(c, offset, count)));
                yield return new TableChunk(table, firstRow, (firstRow + count) / total);
                firstRow += count;
            }
        }
    }

    private DataField Flat(Field field) => field is DataField { IsArray: false } data
        ? data
        : throw KeelException.Invalid(
            $"{Where} column '{field.Name}' is a {(field is DataField ? "list" : field.SchemaType.ToString().ToLowerInvariant())}; only flat columns of numbers, booleans, strings and dates can be read as a table.");

    private static bool IsText(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);

    private async Task<Column> ReadColumnAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        var name = field.Name;
        var type = field.ClrType;
        if (type == typeof(double))
        {
            var (values, missing) = await ReadAsync<double>(group, field, rows, ct);
            return new DoubleColumn(name, WithNaN(values, missing));
        }

        if (type == typeof(float))
        {
            var (values, missing) = await ReadAsync<float>(group, field, rows, ct);
            for (var i = 0; missing is not null && i < rows; i++)
            {
                values[i] = missing[i] ? float.NaN : values[i];
            }

            return new FloatColumn(name, values);
        }

        if (type == typeof(decimal))
        {
            var (values, missing) = await ReadAsync<decimal>(group, field, rows, ct);
            return new DoubleColumn(name, WithNaN(Array.ConvertAll(values, v => (double)v), missing));
        }

        if (type == typeof(long))
        {
            var (values, missing) = await ReadAsync<long>(group, field, rows, ct);
            return new Int64Column(name, values, missing);
        }

        if (type == typeof(uint) || type == typeof(ulong))
        {
            var (values, missing) = type == typeof(uint)
                ? Convert(await ReadAsync<uint>(group, field, rows, ct), v => (long)v)
                : Convert(await ReadAsync<ulong>(group, field, rows, ct), v => v <= long.MaxValue ? (long)v
                    : throw KeelException.Invalid($"{Where} column '{name}' holds {v}, which does not fit a 64-bit signed integer."));
            return new Int64Column(name, values, missing);
        }

        if (type == typeof(int))
        {
            var (values, missing) = await ReadAsync<int>(group, field, rows, ct);
            return new Int32Column(name, values, missing);
        }

        if (type == typeof(short) || type == typeof(ushort) || type == typeof(byte) || type == typeof(sbyte))
        {
            var (values, missing) = type == typeof(short) ? Convert(await ReadAsync<short>(group, field, rows, ct), v => (int)v)
                : type == typeof(ushort) ? Convert(await ReadAsync<ushort>(group, field, rows, ct), v => (int)v)
                : type == typeof(byte) ? Convert(await ReadAsync<byte>(group, field, rows, ct), v => (int)v)
                : Convert(await ReadAsync<sbyte>(group, field, rows, ct), v => (int)v);
            return new Int32Column(name, values, missing);
        }

        if (type == typeof(bool))
        {
            var (values, missing) = await ReadAsync<bool>(group, field, rows, ct);
            return new BooleanColumn(name, values, missing);
        }

        // Parquet.Net 6 reports UTF-8 columns of a file as ReadOnlyMemory<char>, of a schema built in code as string.
        if (IsText(type))
        {
            var values = new string?[rows];
            await group.ReadAsync(field, values.AsMemory()!, null, ct);
            return new StringColumn(name, values);
        }

        if (type == typeof(DateTime))
        {
            return Text(name, await ReadAsync<DateTime>(group, field, rows, ct), v => v.ToString("O", CultureInfo.InvariantCulture));
        }

        if (type == typeof(DateTimeOffset))
        {
            return Text(name, await ReadAsync<DateTimeOffset>(group, field, rows, ct), v => v.ToString("O", CultureInfo.InvariantCulture));
        }

        if (type == typeof(DateOnly))
        {
            return Text(name, await ReadAsync<DateOnly>(group, field, rows, ct), v => v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (type == typeof(TimeOnly))
        {
            return Text(name, await ReadAsync<TimeOnly>(group, field, rows, ct), v => v.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
        }

        if (type == typeof(TimeSpan))
        {
            return Text(name, await ReadAsync<TimeSpan>(group, field, rows, ct), v => v.ToString("c", CultureInfo.InvariantCulture));
        }

        throw KeelException.Invalid(
            $"{Where} column '{name}' has type {type.Name}, which a table cannot hold; use numbers, booleans, strings or dates.");
    }

    private static async Task<(T[] Values, bool[]? Missing)> ReadAsync<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        var values = new T[rows];
        if (!field.IsNullable)
        {
            await group.ReadAsync<T>(field, values.AsMemory(), null, ct);
            return (values, null);
        }

        var buffer = new T?[rows];
        await group.ReadAsync<T>(field, buffer.AsMemory(), null, ct);
        bool[]? missing = null;
        for (var i = 0; i < rows; i++)
        {
            if (buffer[i] is { } value)
            {
                values[i] = value;
            }
            else
            {
                missing ??= new bool[rows];
                missing[i] = true;
            }
        }

        return (values, missing);
    }

    private static (TOut[] Values, bool[]? Missing) Convert<TIn, TOut>((TIn[] Values, bool[]? Missing) read, Func<TIn, TOut> convert) =>
        (Array.ConvertAll(read.Values, v => convert(v)), read.Missing);

    private static double[] WithNaN(double[] values, bool[]? missing)
    {
        for (var i = 0; missing is not null && i < values.Length; i++)
        {
            values[i] = missing[i] ? double.NaN : values[i];
        }

        return values;
    }

    private static StringColumn Text<T>(string name, (T[] Values, bool[]? Missing) read, Func<T, string> format) =>
        new(name, [.. read.Values.Select((v, i) => read.Missing is not null && read.Missing[i] ? null : format(v))]);
}
