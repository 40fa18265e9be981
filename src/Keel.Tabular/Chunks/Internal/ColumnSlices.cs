
namespace Keel.Tabular.Chunks.Internal;

/// <summary>Copies of a range of a column's rows, of the same type.</summary>
internal static class ColumnSlices
{
    public static Column Slice(Column column, int start, int count) => column switch
    {
        DoubleColumn c => new DoubleColumn(c.Name, c.Values.AsSpan(start, count).ToArray()),
        FloatColumn c => new FloatColumn(c.Name, c.Values.AsSpan(start, count).ToArray()),
        Int64Column c => new Int64Column(c.Name, c.Values.AsSpan(start, count).ToArray(), Mask(c.Missing, start, count)),
        Int32Column c => new Int32Column(c.Name, c.Values.AsSpan(start, count).ToArray(), Mask(c.Missing, start, count)),
        BooleanColumn c => new BooleanColumn(c.Name, c.Values.AsSpan(start, count).ToArray(), Mask(c.Missing, start, count)),
        StringColumn c => new StringColumn(c.Name, c.Values.AsSpan(start, count).ToArray()),
        _ => throw new ArgumentException($"Column '{column.Name}' has an unknown type.", nameof(column)),
    };

    private static bool[]? Mask(bool[]? missing, int start, int count) => missing?.AsSpan(start, count).ToArray();
}
