using System.Text.Json;
using Keel.Tabular;

namespace Keel.Serving.Tests.Protocols;

/// <summary>Comparisons of tables the protocol readers build.</summary>
internal static class TableAssert
{
    /// <summary>Same column names, types and values in the same order.</summary>
    public static void Same(Table expected, Table actual)
    {
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        Assert.Equal(expected.RowCount, actual.RowCount);
        for (var c = 0; c < expected.ColumnNames.Count; c++)
        {
            Assert.Equal(expected[c].Type, actual[c].Type);
            for (var r = 0; r < expected.RowCount; r++)
            {
                Assert.Equal(expected[c].GetValue(r), actual[c].GetValue(r));
            }
        }
    }

    /// <summary>
    /// The JSON columns (<c>{"name": [values...]}</c>) <paramref name="write"/> produces hold the
    /// table's values (float columns compared as floats).
    /// </summary>
    public static void ColumnsJson(Table table, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        using var columns = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(table.ColumnCount, columns.RootElement.EnumerateObject().Count());
        foreach (var column in table.Columns)
        {
            var values = columns.RootElement.GetProperty(column.Name).EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.Equal(table.RowCount, values.Count);
            for (var row = 0; row < values.Count; row++)
            {
                Assert.Equal(column.GetDouble(row), column.Type == ColumnType.Float ? (float)values[row] : values[row]);
            }
        }
    }
}
