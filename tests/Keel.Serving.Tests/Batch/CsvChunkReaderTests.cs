using System.Globalization;
using System.Text;
using Keel.Core.Errors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Tabular.Chunks;
using Keel.Tabular.Chunks.Internal;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Batch;

public sealed class CsvChunkReaderTests : IDisposable
{
    private readonly BatchFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Chunks_of_n_rows_cover_the_file_in_order_and_keep_the_types_of_the_first()
    {
        var path = _files.Write("rows.csv", "id,x,flag,name\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},{i}.5,{(i % 2 == 0 ? "true" : "false")},n{i}\n")));

        var chunks = await BatchFiles.ReadChunksAsync(path, chunkRows: 4);

        Assert.Equal([4, 4, 2], chunks.Select(c => c.RowCount));
        Assert.Equal([0L, 4L, 8L], chunks.Select(c => c.FirstRow));
        Assert.Equal(1.0, chunks[^1].Progress);
        Assert.True(chunks[0].Progress is > 0 and < 1);
        foreach (var chunk in chunks)
        {
            Assert.Equal(["id", "x", "flag", "name"], chunk.Table.ColumnNames);
            Assert.Equal([ColumnType.Int64, ColumnType.Double, ColumnType.Boolean, ColumnType.String], chunk.Table.Columns.Select(c => c.Type));
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), chunks.SelectMany(c => ((Int64Column)c.Table["id"]).Values));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i + 0.5), chunks.SelectMany(c => ((DoubleColumn)c.Table["x"]).Values));
        Assert.Equal(Strings("n8", "n9"), ((StringColumn)chunks[2].Table["name"]).Values);
    }

    [Fact]
    public async Task Quoted_fields_hold_commas_line_breaks_and_doubled_quotes_and_CRLF_ends_lines()
    {
        var path = _files.Write("quoted.csv", "a,\"b, the second\"\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",\"\"\r\nplain,\"end\"");

        var table = Assert.Single(await BatchFiles.ReadChunksAsync(path, chunkRows: 100)).Table;

        Assert.Equal(["a", "b, the second"], table.ColumnNames);
        Assert.Equal(Strings("x,y", "two\r\nlines", "plain"), ((StringColumn)table["a"]).Values);
        Assert.Equal(Strings("say \"hi\"", null, "end"), ((StringColumn)table["b, the second"]).Values);
    }

    [Fact]
    public async Task A_byte_order_mark_and_blank_lines_are_skipped_and_the_last_line_needs_no_break()
    {
        var path = _files.Path("bom.csv");
        await File.WriteAllTextAsync(path, "\n\nx,y\n1,2\n\n\r\n3,4", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var table = Assert.Single(await BatchFiles.ReadChunksAsync(path, chunkRows: 100)).Table;

        Assert.Equal(["x", "y"], table.ColumnNames);
        Assert.Equal([1L, 3L], ((Int64Column)table["x"]).Values);
        Assert.Equal([2L, 4L], ((Int64Column)table["y"]).Values);
    }

    [Fact]
    public async Task A_file_larger_than_the_read_window_parses_as_TableReader_reads_it()
    {
        // About 3 MB, so records (some quoted over several lines) straddle every 1 MB refill.
        var random = new Random(7);
        var text = new StringBuilder("id,note,value\r\n");
        for (var i = 0; i < 100_000; i++)
        {
            var note = (i % 5) switch
            {
                0 => "\"multi\nline, with \"\"quotes\"\"\"",
                1 => "",
                2 => "\"\"",
                _ => "word" + random.Next(1000).ToString(CultureInfo.InvariantCulture),
            };
            text.Append(CultureInfo.InvariantCulture, $"{i},{note},{random.NextDouble() * 100:R}\r\n");
        }

        var path = _files.Write("large.csv", text.ToString());
        var whole = await TableReader.ReadAsync(path);

        var chunks = await BatchFiles.ReadChunksAsync(path, chunkRows: 7_777);

        Assert.True(new FileInfo(path).Length > 2_500_000);
        Assert.Equal(whole.RowCount, chunks.Sum(c => c.RowCount));
        Assert.Equal(BatchFiles.Text(whole), BatchFiles.Text(chunks));
        Assert.Equal(whole.GetDoubles("value"), chunks.SelectMany(c => c.Table.GetDoubles("value")));
    }

    [Fact]
    public async Task Only_the_requested_columns_are_read_in_the_order_asked()
    {
        var path = _files.Write("cols.csv", "a,b,c\n1,x,2.5\n3,y,4.5\n");

        var table = Assert.Single(await BatchFiles.ReadChunksAsync(path, 10, columns: ["c", "a"])).Table;

        Assert.Equal(["c", "a"], table.ColumnNames);
        Assert.Equal([2.5, 4.5], table.GetDoubles("c"));
    }

    [Fact]
    public async Task A_declared_type_parses_from_the_first_row()
    {
        var path = _files.Write("declared.csv", "id,x\n1,2\n2,\n");

        var table = Assert.Single(await BatchFiles.ReadChunksAsync(path, 10, types: new Dictionary<string, ColumnType> { ["x"] = ColumnType.Double, ["id"] = ColumnType.String })).Table;

        Assert.Equal(ColumnType.Double, table["x"].Type);
        Assert.Equal(ColumnType.String, table["id"].Type);
        Assert.True(table["x"].IsMissing(1));
    }

    [Fact]
    public async Task A_ragged_row_names_its_line_and_the_field_counts()
    {
        var path = _files.Write("ragged.csv", "a,b\n1,2\n\"x\ny\",3\n4,5,6\n");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 100));

        Assert.Equal($"CSV file '{path}' line 5 has 3 fields but the header has 2; every row must have one field per column.", error.Message);
    }

    [Fact]
    public async Task A_non_numeric_value_in_a_declared_number_column_names_the_line_and_column()
    {
        var path = _files.Write("bad.csv", "sepal_length,id\n5.1,a\n4.9,b\nabc,c\n");

        var error = await Assert.ThrowsAsync<KeelException>(() =>
            BatchFiles.ReadChunksAsync(path, 2, types: new Dictionary<string, ColumnType> { ["sepal_length"] = ColumnType.Double }));

        Assert.Equal($"CSV file '{path}' line 4, column 'sepal_length': 'abc' is not a number (the test says so).", error.Message);
    }

    [Fact]
    public async Task A_value_that_does_not_fit_the_type_the_first_chunk_gave_names_the_line()
    {
        var path = _files.Write("drift.csv", "n\n1\n2\n3\n4.5\n");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 2));

        Assert.Equal($"CSV file '{path}' line 5, column 'n': '4.5' is not an integer (the first 2 rows made its type int64).", error.Message);
    }

    [Theory]
    [InlineData("a,b\n1,\"open\n2,3\n", "line 2 opens a quoted field that is never closed")]
    [InlineData("a,b\n1,2\n\"x\"y,3\n", "line 3: a quoted field is followed by 'y'")]
    [InlineData("a,a\n1,2\n", "header (line 1) names column 'a' twice")]
    [InlineData("\n\n", "is empty: a header row with the column names is expected")]
    public async Task Malformed_csv_is_an_error_naming_where(string text, string expected)
    {
        var path = _files.Write("malformed.csv", text);

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 100));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"CSV file '{path}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_without_rows_gives_no_chunks()
    {
        var path = _files.Write("empty.csv", "a,b\n");

        await using var reader = await TableChunkReader.OpenAsync(path);

        Assert.Equal(["a", "b"], reader.ColumnNames);
        Assert.Empty(await BatchFiles.ReadChunksAsync(path, 10));
    }

    [Fact]
    public void Numbers_parse_to_exactly_the_doubles_of_the_full_parser()
    {
        var random = new Random(11);
        var samples = new List<string> { "0", "-0", "+1.5", "5.1", "0.1", "123456789012345", "1234567890123456", "9.999999999999999", "1e5", " 2 ", "NaN", "-inf", "Infinity", ".5", "5." };
        for (var i = 0; i < 20_000; i++)
        {
            var digits = random.Next(1, 18);
            var point = random.Next(0, digits + 1);
            var text = string.Concat(Enumerable.Range(0, digits).Select(_ => (char)('0' + random.Next(10))));
            samples.Add((random.Next(2) == 0 ? "-" : "") + text[..point] + (point < digits ? "." + text[point..] : ""));
        }

        foreach (var sample in samples)
        {
            Assert.True(TableReader.TryParseDouble(sample, out var expected), sample);
            Assert.True(Utf8Numbers.TryParseDouble(Encoding.UTF8.GetBytes(sample), out var parsed), sample);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(parsed));
        }

        Assert.False(Utf8Numbers.TryParseDouble("1.2.3"u8, out _));
        Assert.False(Utf8Numbers.TryParseDouble("abc"u8, out _));
    }

    [Fact]
    public async Task Iris_in_chunks_equals_iris_read_whole()
    {
        var whole = await Fixtures.ReadAsync("iris.csv");

        var chunks = await BatchFiles.ReadChunksAsync(Fixtures.Path("iris.csv"), 64);

        Assert.Equal([64, 64, 22], chunks.Select(c => c.RowCount));
        Assert.Equal(BatchFiles.Text(whole), BatchFiles.Text(chunks));
        Assert.Equal(whole.Columns.Select(c => c.Type), chunks[0].Table.Columns.Select(c => c.Type));
    }
}
