using Keel.Core.Errors;
using Keel.Tabular;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Batch;

public sealed class JsonLinesChunkReaderTests : IDisposable
{
    private readonly BatchFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task The_first_chunks_keys_are_the_columns_and_a_key_a_row_leaves_out_is_missing()
    {
        var path = _files.Write("rows.jsonl", """
            {"id": 1, "x": 0.5}
            {"x": 1.5, "id": 2, "name": "b"}

            {"id": 3, "name": null}
            {"id": 4, "x": 2, "name": "d"}
            """);

        var chunks = await BatchFiles.ReadChunksAsync(path, chunkRows: 3);

        Assert.Equal([3, 1], chunks.Select(c => c.RowCount));
        var first = chunks[0].Table;
        Assert.Equal(["id", "x", "name"], first.ColumnNames);
        Assert.Equal([ColumnType.Int64, ColumnType.Double, ColumnType.String], first.Columns.Select(c => c.Type));
        Assert.Equal([false, false, true], Enumerable.Range(0, 3).Select(first["x"].IsMissing));
        Assert.Equal(Strings(null, "b", null), ((StringColumn)first["name"]).Values);
        Assert.Equal([2.0], chunks[1].Table.GetDoubles("x"));
        Assert.Equal(Strings("d"), ((StringColumn)chunks[1].Table["name"]).Values);
    }

    [Fact]
    public async Task Json_types_decide_the_columns_and_strings_stay_strings()
    {
        var path = _files.Write("types.ndjson", """
            {"code": "001", "n": 1, "flag": true, "mixed": 1, "escaped": "a\"b\u00e9"}
            {"code": "002", "n": 2, "flag": false, "mixed": 2.5, "escaped": "plain"}
            """);

        var table = Assert.Single(await BatchFiles.ReadChunksAsync(path, 10)).Table;

        Assert.Equal([ColumnType.String, ColumnType.Int64, ColumnType.Boolean, ColumnType.Double, ColumnType.String], table.Columns.Select(c => c.Type));
        Assert.Equal(Strings("001", "002"), ((StringColumn)table["code"]).Values);
        Assert.Equal(Strings("a\"bé", "plain"), ((StringColumn)table["escaped"]).Values);
    }

    [Fact]
    public async Task A_declared_number_column_takes_numbers_and_numeric_strings_and_names_the_line_of_anything_else()
    {
        var path = _files.Write("declared.jsonl", "{\"x\": 1}\n{\"x\": \"2.5\"}\n{\"x\": null}\n{\"x\": true}\n");
        var types = new Dictionary<string, ColumnType> { ["x"] = ColumnType.Double };

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 10, types: types));
        var good = Assert.Single(await BatchFiles.ReadChunksAsync(_files.Write("good.jsonl", "{\"x\": 1}\n{\"x\": \"2.5\"}\n{\"x\": null}\n"), 10, types: types));

        Assert.Equal($"JSON lines file '{path}' line 4, column 'x': 'true' is not a number (the test says so).", error.Message);
        Assert.Equal([1, 2.5, double.NaN], good.Table.GetDoubles("x"));
    }

    [Theory]
    [InlineData("{\"a\": 1}\n[1, 2]\n", "line 2 is not a JSON object")]
    [InlineData("{\"a\": 1}\n{\"a\": 1\n", "line 2 is not valid JSON")]
    [InlineData("{\"a\": 1}\n{\"a\": [1, 2]}\n", "line 2, column 'a' holds a JSON list")]
    [InlineData("{\"a\": 1}\n{\"a\": 2, \"a\": 3}\n", "line 2 has the key 'a' twice")]
    [InlineData("{\"a\": 1}\n{\"a\": 2} {\"a\": 3}\n", "line 2 is not valid JSON")]
    public async Task Bad_lines_are_errors_naming_the_line(string text, string expected)
    {
        var path = _files.Write("bad.jsonl", text);

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 100));

        Assert.StartsWith($"JSON lines file '{path}' {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_the_first_chunk_did_not_have_is_an_error_naming_the_line()
    {
        var path = _files.Write("late.jsonl", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3, \"b\": 4}\n");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 2));

        Assert.StartsWith($"JSON lines file '{path}' line 3 has the key 'b', which no row of the first chunk (2 rows) has", error.Message, StringComparison.Ordinal);
    }
}
