using Keel.Tabular;
using Keel.Tabular.Chunks;
using Parquet;
using Parquet.Schema;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// Parquet with one row group per chunk (Snappy, Parquet.Net's default). Every column is nullable,
/// because a later chunk may have a missing value the first had not; missing values and NaN are
/// null, as pandas' <c>to_parquet</c> writes NaN.
/// </summary>
internal sealed class ParquetChunkWriter(string path) : TableChunkWriter(path, BatchFileFormat.Parquet)
{
    // Parquet.Net pools its page buffers in a RecyclableMemoryStreamManager, which by default keeps
    // every freed buffer forever, so the pool grows with the run. A row group of a chunk needs a few
    // MiB (32,768 rows of a few columns); a bound near that keeps the memory of a long run flat.
    private static readonly ParquetOptions Options = new()
    {
        MaximumSmallPoolFreeBytes = 4 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 8 * 1024 * 1024,
    };

    private ParquetWriter? _writer;
    private DataField[] _fields = [];
    private int[] _present = [];

    private protected override async Task StartAsync(Table first, CancellationToken cancellationToken)
    {
        _fields = [.. first.Columns.Select(c => new DataField(c.Name, ClrType(c.Type), isNullable: true))];
        _writer = await ParquetWriter.CreateAsync(new ParquetSchema(_fields), Stream, Options, append: false, cancellationToken);
    }

    private protected override async Task WriteChunkAsync(Table chunk, CancellationToken cancellationToken)
    {
        using var group = _writer!.CreateRowGroup();
        for (var c = 0; c < chunk.ColumnCount; c++)
        {
            var field = _fields[c];
            var task = chunk[c] switch
            {
                DoubleColumn d => WriteAsync(group, field, d.Values, Missing(d.Values, double.IsNaN), cancellationToken),
                FloatColumn f => WriteAsync(group, field, f.Values, Missing(f.Values, float.IsNaN), cancellationToken),
                Int64Column l => WriteAsync(group, field, l.Values, l.Missing, cancellationToken),
                Int32Column i => WriteAsync(group, field, i.Values, i.Missing, cancellationToken),
                BooleanColumn b => WriteAsync(group, field, b.Values, b.Missing, cancellationToken),
                StringColumn s => group.WriteAsync(field, s.Values, null),
                _ => throw new InvalidOperationException($"Column '{chunk[c].Name}' has an unknown type."),
            };
            await task;
        }

        group.CompleteValidate();
    }

    private protected override async Task FinishAsync(CancellationToken cancellationToken)
    {
        // Disposing the writer writes the footer (schema, row group offsets).
        await _writer!.DisposeAsync();
        _writer = null;
    }

    private protected override async ValueTask AbandonAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
    }

    private static Type ClrType(ColumnType type) => type switch
    {
        ColumnType.Double => typeof(double),
        ColumnType.Float => typeof(float),
        ColumnType.Int64 => typeof(long),
        ColumnType.Int32 => typeof(int),
        ColumnType.Boolean => typeof(bool),
        _ => typeof(string),
    };

    /// <summary>
    /// A nullable column as Parquet stores it: the present values, and a definition level per row
    /// (1 present, 0 null). Without a missing value the column's own array goes as it is, beside a
    /// shared array of ones, so a chunk is not copied.
    /// </summary>
    private Task WriteAsync<T>(ParquetRowGroupWriter group, DataField field, T[] values, bool[]? missing, CancellationToken ct)
        where T : struct
    {
        if (missing is null)
        {
            if (_present.Length < values.Length)
            {
                _present = new int[values.Length];
                Array.Fill(_present, 1);
            }

            return group.WriteAllPartsAsync<T>(field, values, _present.AsMemory(0, values.Length), null, ct);
        }

        var levels = new int[values.Length];
        var kept = new List<T>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (!missing[i])
            {
                levels[i] = 1;
                kept.Add(values[i]);
            }
        }

        return group.WriteAllPartsAsync<T>(field, kept.ToArray(), levels, null, ct);
    }

    /// <summary>Which values are NaN (missing), or null when none is.</summary>
    private static bool[]? Missing<T>(T[] values, Func<T, bool> isNaN)
    {
        bool[]? missing = null;
        for (var i = 0; i < values.Length; i++)
        {
            if (isNaN(values[i]))
            {
                missing ??= new bool[values.Length];
                missing[i] = true;
            }
        }

        return missing;
    }
}
