using System.Threading.Channels;
using Keel.Core.Errors;
using Keel.Data.Profiling.Internal;
using Keel.Tabular;
using Keel.Tabular.Chunks;

namespace Keel.Data.Profiling;

/// <summary>
/// Builds a <see cref="TableProfile"/> from tables added one after another (chunks of a file, or
/// windows of logged requests): memory is bounded by <see cref="ProfileOptions"/>, not by the rows.
/// Numeric columns (double, float, long, integer) get numeric statistics; string and boolean columns
/// get value counts. Every chunk must have the columns and types of the first.
/// </summary>
public sealed class TableProfiler(ProfileOptions? options = null)
{
    private readonly ProfileOptions _options = options ?? ProfileOptions.Default;
    /// <summary>From how many cells (rows × columns) a table's columns are added in parallel.</summary>
    internal const long ParallelCells = 65_536;

    private Slot[]? _slots;
    private long _rows;

    public long RowCount => _rows;

    public void Add(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _slots ??= table.Columns.Select(c => new Slot(c.Name, c.Type, Create(c.Name, c.Type))).ToArray();
        if (table.ColumnCount != _slots.Length)
        {
            throw KeelException.Invalid($"A table of {table.ColumnCount} columns cannot join a profile of {_slots.Length}.");
        }

        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            var column = table[i];
            var slot = slots[i];
            if (!string.Equals(column.Name, slot.Name, StringComparison.Ordinal) || column.Type != slot.Type)
            {
                throw KeelException.Invalid(
                    $"Column {i + 1} is '{column.Name}' ({TypeName(column.Type)}) here but was '{slot.Name}' ({TypeName(slot.Type)}) before.");
            }
        }

        ForEachColumn(table.RowCount, slots.Length, i => AddColumn(table[i], slots[i].Accumulator));
        _rows += table.RowCount;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for each of <paramref name="columns"/> columns of a table of
    /// <paramref name="rows"/> rows: on every core from <see cref="ParallelCells"/> cells (a file's
    /// chunks), on this thread below (a window of logged requests, a small upload). The work of
    /// one column must not touch another's state.
    /// </summary>
    internal static void ForEachColumn(int rows, int columns, Action<int> body)
    {
        if ((long)rows * columns >= ParallelCells && columns > 1)
        {
            Parallel.For(0, columns, body);
            return;
        }

        for (var i = 0; i < columns; i++)
        {
            body(i);
        }
    }

    /// <summary>The profile of everything added (the columns are finished in parallel).</summary>
    public TableProfile Build()
    {
        var slots = _slots ?? [];
        var columns = new ColumnProfile[slots.Length];
        Parallel.For(0, slots.Length, i => columns[i] = slots[i].Accumulator switch
        {
            NumericAccumulator numeric => numeric.Build(),
            CategoryAccumulator category => category.Build(),
            _ => throw new InvalidOperationException(),
        });
        return new TableProfile(_rows, columns);
    }

    /// <summary>MLflow's name for a column type.</summary>
    public static string TypeName(ColumnType type) => type switch
    {
        ColumnType.Double => "double",
        ColumnType.Float => "float",
        ColumnType.Int64 => "long",
        ColumnType.Int32 => "integer",
        ColumnType.Boolean => "boolean",
        _ => "string",
    };

    /// <summary>
    /// Profiles a file that <paramref name="open"/> opens (each call a new reader from the start).
    /// Types are inferred from the first chunk; when a later value does not fit, the column widens
    /// (long to double, anything to string) and the file is read again, so one odd value far down
    /// a file makes a string column rather than an error. Reading and profiling overlap.
    /// </summary>
    public static Task<TableProfile> ProfileAsync(
        Func<CancellationToken, Task<TableChunkReader>> open, ProfileOptions? options = null, CancellationToken cancellationToken = default) =>
        ProfileAsync(open, options, null, cancellationToken);

    /// <summary>
    /// <see cref="ProfileAsync(Func{CancellationToken, Task{TableChunkReader}}, ProfileOptions?, CancellationToken)"/>
    /// that also shows every chunk, after the profile took it, to an observer (validation's row
    /// checks): <paramref name="observer"/> makes a new one for each read of the file.
    /// </summary>
    public static async Task<TableProfile> ProfileAsync(
        Func<CancellationToken, Task<TableChunkReader>> open, ProfileOptions? options, Func<Action<TableChunk>>? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(open);
        var declared = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        while (true)
        {
            var profiler = new TableProfiler(options);
            try
            {
                await using var reader = await open(cancellationToken);
                await profiler.ReadAsync(reader, declared, observer?.Invoke(), cancellationToken);
                return profiler.Build();
            }
            catch (KeelException e) when (e.Data[TableChunkReader.MismatchedColumnKey] is string column
                && profiler.TypeOf(column) is { } type && type != ColumnType.String)
            {
                declared[column] = type is ColumnType.Int64 or ColumnType.Int32 ? ColumnType.Double : ColumnType.String;
            }
        }
    }

    private async Task ReadAsync(TableChunkReader reader, Dictionary<string, ColumnType> declared, Action<TableChunk>? observe, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateBounded<TableChunk>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = Task.Run(
            async () =>
            {
                await foreach (var chunk in chunks.Reader.ReadAllAsync(stop.Token))
                {
                    Add(chunk.Table);
                    observe?.Invoke(chunk);
                    reader.Recycle(chunk.Table);
                }
            },
            stop.Token);
        try
        {
            await foreach (var chunk in reader.ReadAsync(null, declared, "a later value needed it", stop.Token))
            {
                await chunks.Writer.WriteAsync(chunk, stop.Token);
            }

            chunks.Writer.Complete();
        }
        catch (Exception e)
        {
            chunks.Writer.TryComplete(e);
            await stop.CancelAsync();
            try
            {
                await consumer;
            }
            catch (OperationCanceledException)
            {
            }
            catch (ChannelClosedException)
            {
            }

            throw;
        }

        await consumer;
    }

    private ColumnType? TypeOf(string column) => _slots?.FirstOrDefault(s => string.Equals(s.Name, column, StringComparison.Ordinal))?.Type;

    private object Create(string name, ColumnType type) => type switch
    {
        ColumnType.Boolean or ColumnType.String => new CategoryAccumulator(name, TypeName(type), _options),
        _ => new NumericAccumulator(name, TypeName(type), _options),
    };

    private static void AddColumn(Column column, object accumulator)
    {
        switch (column)
        {
            case DoubleColumn d:
                {
                    var numeric = (NumericAccumulator)accumulator;
                    foreach (var value in d.Values.AsSpan(0, d.Length))
                    {
                        numeric.Add(value);
                    }

                    break;
                }

            case FloatColumn f:
                {
                    var numeric = (NumericAccumulator)accumulator;
                    foreach (var value in f.Values.AsSpan(0, f.Length))
                    {
                        numeric.Add(value);
                    }

                    break;
                }

            case Int64Column l:
                AddIntegers((NumericAccumulator)accumulator, l.Values.AsSpan(0, l.Length), l.Missing);
                break;
            case Int32Column i:
                {
                    var numeric = (NumericAccumulator)accumulator;
                    for (var row = 0; row < i.Length; row++)
                    {
                        numeric.Add(i.IsMissing(row) ? double.NaN : i.Values[row]);
                    }

                    break;
                }

            case BooleanColumn b:
                {
                    var category = (CategoryAccumulator)accumulator;
                    long trues = 0, falses = 0, missing = 0;
                    for (var row = 0; row < b.Length; row++)
                    {
                        if (b.IsMissing(row))
                        {
                            missing++;
                        }
                        else if (b.Values[row])
                        {
                            trues++;
                        }
                        else
                        {
                            falses++;
                        }
                    }

                    category.Add(true, trues);
                    category.Add(false, falses);
                    category.AddMissing(missing);
                    break;
                }

            case StringColumn s:
                {
                    var category = (CategoryAccumulator)accumulator;
                    foreach (var value in s.Values.AsSpan(0, s.Length))
                    {
                        category.Add(value);
                    }

                    break;
                }
        }
    }

    private static void AddIntegers(NumericAccumulator numeric, ReadOnlySpan<long> values, bool[]? missing)
    {
        for (var row = 0; row < values.Length; row++)
        {
            numeric.Add(missing is not null && missing[row] ? double.NaN : values[row]);
        }
    }

    private sealed record Slot(string Name, ColumnType Type, object Accumulator);
}
