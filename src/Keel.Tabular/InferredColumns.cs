using System.Globalization;

namespace Keel.Tabular;

/// <summary>
/// A column from untyped cells (null, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="string"/>): int64 when every present cell is an integer, double when every one is a
/// number, boolean when every one is a boolean, else string.
/// </summary>
internal static class InferredColumns
{
    public static Column FromCells(string name, object?[] cells)
    {
        var present = cells.Where(c => c is not null).ToList();
        if (present.Count > 0 && present.TrueForAll(c => c is long))
        {
            return new Int64Column(name, Array.ConvertAll(cells, c => c is long l ? l : 0), Array.ConvertAll(cells, c => c is null));
        }

        if (present.TrueForAll(c => c is long or double))
        {
            return new DoubleColumn(name, Array.ConvertAll(cells, c => c switch { long l => l, double d => d, _ => double.NaN }));
        }

        if (present.TrueForAll(c => c is bool))
        {
            return new BooleanColumn(name, Array.ConvertAll(cells, c => c is true), Array.ConvertAll(cells, c => c is null));
        }

        return new StringColumn(name, Array.ConvertAll(cells, Text));
    }

    private static string? Text(object? cell) => cell switch
    {
        null => null,
        bool flag => Column.Format(flag),
        long integer => integer.ToString(CultureInfo.InvariantCulture),
        double number => Column.Format(number),
        _ => cell.ToString(),
    };
}
