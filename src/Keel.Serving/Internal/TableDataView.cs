using Keel.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Serving.Internal;

/// <summary>
/// A <see cref="Table"/> seen through an ML.NET model's input schema, so the model's
/// <c>Transform</c> can run on it without a CLR row class (which would have to be generated per
/// schema). Every column of the schema gets its values converted once (see
/// <see cref="TableColumnSources"/>); cursors only index into those arrays, so any number of
/// cursors and threads may read the view at once.
/// </summary>
internal sealed class TableDataView : IDataView
{
    private readonly ColumnSource[] _sources;
    private readonly int _rowCount;

    public TableDataView(DataViewSchema inputSchema, Table table, IReadOnlySet<string> optionalInputs)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in inputSchema)
        {
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        }

        Schema = builder.ToSchema();
        _rowCount = table.RowCount;
        _sources = TableColumnSources.Create(inputSchema, table, optionalInputs);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly TableDataView _view;
        private readonly bool[] _active;
        private int _row = -1;

        public Cursor(TableDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var column in columnsNeeded)
            {
                _active[column.Index] = true;
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _row;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_row + 1 >= _view._rowCount)
            {
                _row = _view._rowCount;
                return false;
            }

            _row++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            }

            return _view._sources[column.Index].Getter<TValue>(() => _row, column.Name);
        }
    }
}

/// <summary>The values of one view column, converted to the type the model reads.</summary>
internal abstract class ColumnSource
{
    public abstract ValueGetter<TValue> Getter<TValue>(Func<int> row, string name);

    private protected static ValueGetter<TValue> Cast<TValue, T>(ValueGetter<T> getter, string name) =>
        getter as ValueGetter<TValue>
        ?? throw new InvalidOperationException($"Column '{name}' holds {typeof(T).Name}, not {typeof(TValue).Name}.");
}

internal sealed class ScalarSource<T>(T[] values) : ColumnSource
{
    public override ValueGetter<TValue> Getter<TValue>(Func<int> row, string name) =>
        Cast<TValue, T>((ref T value) => value = values[row()], name);
}

internal sealed class VectorSource<T>(T[] values, int width) : ColumnSource
{
    public override ValueGetter<TValue> Getter<TValue>(Func<int> row, string name) =>
        Cast<TValue, VBuffer<T>>(
            (ref VBuffer<T> value) =>
            {
                var editor = VBufferEditor.Create(ref value, width);
                values.AsSpan(row() * width, width).CopyTo(editor.Values);
                value = editor.Commit();
            },
            name);
}
