using System.Diagnostics.CodeAnalysis;
using Keel.Core.Errors;

namespace Keel.Tabular;

/// <summary>
/// An immutable in-memory table: named, typed columns of equal length. Column names are unique and
/// compared ordinally (case matters, as in pandas). Operations that change the shape return a new
/// table sharing the column arrays.
/// </summary>
public sealed class Table
{
    // Up to this many columns, names are found by a linear scan (a request's table of a few
    // features): no dictionary is built per table.
    private const int ScanLimit = 16;

    private readonly Column[] _columns;
    private readonly Dictionary<string, int>? _indexByName;
    private IReadOnlyList<string>? _columnNames;

    public Table(IEnumerable<Column> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = [.. columns];
        if (_columns.Length > ScanLimit)
        {
            _indexByName = new Dictionary<string, int>(_columns.Length, StringComparer.Ordinal);
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i] ?? throw new ArgumentException("A table column cannot be null.", nameof(columns));
            if (_indexByName is null ? Scan(column.Name, i) >= 0 : !_indexByName.TryAdd(column.Name, i))
            {
                throw KeelException.Invalid($"Column name '{column.Name}' appears more than once; table column names must be unique.");
            }

            if (column.Length != _columns[0].Length)
            {
                throw KeelException.Invalid(
                    $"Column '{column.Name}' has {column.Length} rows but column '{_columns[0].Name}' has {_columns[0].Length}; all columns must have the same number of rows.");
            }
        }

        RowCount = _columns.Length == 0 ? 0 : _columns[0].Length;
    }

    public Table(params Column[] columns)
        : this((IEnumerable<Column>)columns)
    {
    }

    public int RowCount { get; }

    public int ColumnCount => _columns.Length;

    public IReadOnlyList<Column> Columns => _columns;

    public IReadOnlyList<string> ColumnNames => _columnNames ??= Array.AsReadOnly(Array.ConvertAll(_columns, c => c.Name));

    public Column this[int index] => _columns[index];

    /// <summary>The column with this name; a KeelException naming it (and the columns there are) otherwise.</summary>
    public Column this[string name] =>
        TryGetColumn(name, out var column) ? column : throw NoSuchColumn(name);

    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>The position of the column, or -1.</summary>
    public int IndexOf(string name) =>
        _indexByName is null ? Scan(name, _columns.Length) : _indexByName.TryGetValue(name, out var index) ? index : -1;

    public bool TryGetColumn(string name, [NotNullWhen(true)] out Column? column)
    {
        var index = IndexOf(name);
        column = index >= 0 ? _columns[index] : null;
        return column is not null;
    }

    /// <summary>The position of the column among the first <paramref name="count"/>, or -1.</summary>
    private int Scan(string name, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(_columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>This table without the named column (e.g. the evaluation target); the column must exist.</summary>
    public Table DropColumn(string name)
    {
        var index = IndexOf(name);
        if (index < 0)
        {
            throw NoSuchColumn(name);
        }

        return new Table(_columns.Where((_, i) => i != index));
    }

    /// <summary>The named columns in the given order; each must exist.</summary>
    public Table SelectColumns(IEnumerable<string> names) => new(names.Select(name => this[name]));

    /// <summary>The column as doubles (missing = NaN); a string column is an error that names it.</summary>
    public double[] GetDoubles(string name) => this[name].ToDoubles();

    /// <summary>The column as invariant text (missing = null).</summary>
    public string?[] GetStrings(string name) => this[name].ToStrings();

    public override string ToString() => $"Table ({RowCount} rows: {string.Join(", ", ColumnNames)})";

    private KeelException NoSuchColumn(string name) =>
        KeelException.Invalid($"The table has no column '{name}'; its columns are: {string.Join(", ", ColumnNames)}.");
}
