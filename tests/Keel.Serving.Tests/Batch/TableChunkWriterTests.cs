using System.Text.Json;
using Keel.Core.Errors;
using Keel.Serving.Batch;
using Keel.Tabular;
using Parquet;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Batch;

public sealed class TableChunkWriterTests : IDisposable
{
    private readonly BatchFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static Table Chunk(int start, int rows) => new(
        new Int64Column("id", [.. Enumerable.Range(start, rows).Select(i => (long)i)], [.. Enumerable.Range(start, rows).Select(i => i == 3)]),
        new DoubleColumn("x", [.. Enumerable.Range(start, rows).Select(i => i switch { 1 => double.NaN, 2 => double.PositiveInfinity, _ => i / 4.0 })]),
        new FloatColumn("p", [.. Enumerable.Range(start, rows).Select(i => i / 3f)]),
        new BooleanColumn("flag", [.. Enumerable.Range(start, rows).Select(i => i % 2 == 0)]),
        new StringColumn("text", [.. Enumerable.Range(start, rows).Select(i => i switch { 0 => "a, \"quoted\"\nvalue", 4 => null, _ => $"t{i}" })]));

    [Fact]
    public async Task Csv_round_trips_through_TableReader_with_quotes_missing_values_and_infinities()
    {
        var path = _files.Path("out.csv");
        await using (var writer = TableChunkWriter.Create(path))
        {
            await writer.WriteAsync(Chunk(0, 4));
            await writer.WriteAsync(Chunk(4, 3));
            await writer.CompleteAsync();
        }

        var table = await TableReader.ReadAsync(path);

        Assert.StartsWith("id,x,p,flag,text\n0,0,0,true,\"a, \"\"quoted\"\"\nvalue\"\n1,,0.33333334,false,t1\n2,inf,", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal(7, table.RowCount);
        Assert.Equal([false, false, false, true, false, false, false], Enumerable.Range(0, 7).Select(table["id"].IsMissing));
        Assert.Equal([0, double.NaN, double.PositiveInfinity, 0.75, 1, 1.25, 1.5], table.GetDoubles("x"));
        // A float is written in its own shortest form, so it reads back as that float, not as the double it widens to.
        Assert.Equal(Enumerable.Range(0, 7).Select(i => i / 3f), table.GetDoubles("p").Select(d => (float)d));
        Assert.Equal(Strings("a, \"quoted\"\nvalue", "t1", "t2", "t3", null, "t5", "t6"), table.GetStrings("text"));
        Assert.Equal(Strings("true", "false", "true", "false", "true", "false", "true"), table.GetStrings("flag"));
    }

    [Fact]
    public async Task Parquet_gets_a_row_group_per_chunk_and_reads_back_with_nulls_for_missing_values()
    {
        var path = _files.Path("out.parquet");
        await using (var writer = TableChunkWriter.Create(path))
        {
            await writer.WriteAsync(Chunk(0, 4));
            await writer.WriteAsync(Chunk(4, 3));
            await writer.CompleteAsync();
        }

        var table = await TableReader.ReadAsync(path);
        await using var reader = await ParquetReader.CreateAsync(path);

        Assert.Equal(2, reader.RowGroupCount);
        Assert.Equal([ColumnType.Int64, ColumnType.Double, ColumnType.Float, ColumnType.Boolean, ColumnType.String], table.Columns.Select(c => c.Type));
        Assert.Equal(BatchFiles.Text(new Table(Chunk(0, 4).Columns.Select((c, i) => Concat(c, Chunk(4, 3)[i])))), BatchFiles.Text(table));
    }

    [Fact]
    public async Task Parquet_of_many_chunks_has_each_row_group_at_its_own_offsets_with_its_statistics_and_leaves_no_spill_file()
    {
        // Twenty chunks: more row groups than a Thrift list header holds in its short form (15).
        var path = _files.Path("many.parquet");
        await using (var writer = TableChunkWriter.Create(path))
        {
            for (var chunk = 0; chunk < 20; chunk++)
            {
                await writer.WriteAsync(Chunk(chunk * 50, 50));
            }

            await writer.CompleteAsync();
        }

        await using var reader = await ParquetReader.CreateAsync(path);
        var groups = reader.Metadata!.RowGroups;

        Assert.Equal(1000, reader.Metadata.NumRows);
        Assert.Equal(20, reader.RowGroupCount);
        long end = 4;
        for (var g = 0; g < groups.Count; g++)
        {
            Assert.Equal(50, groups[g].NumRows);
            var id = groups[g].Columns[0].MetaData!;
            // The pages of each group follow the last group's, in the order they were written.
            Assert.Equal(end, id.DictionaryPageOffset ?? id.DataPageOffset);
            end = groups[g].Columns.Max(c => (c.MetaData!.DictionaryPageOffset ?? c.MetaData.DataPageOffset) + c.MetaData.TotalCompressedSize);
            Assert.Equal((long)(g * 50), BitConverter.ToInt64(id.Statistics!.MinValue));
            Assert.Equal((long)(g * 50 + 49), BitConverter.ToInt64(id.Statistics.MaxValue));
            using var group = reader.OpenRowGroupReader(g);
            var ids = new long?[50];
            await group.ReadAsync<long>(reader.Schema.DataFields[0], ids.AsMemory(), null);
            Assert.Equal(Enumerable.Range(g * 50, 50).Select(i => i == 3 ? null : (long?)i), ids);
        }

        var table = await TableReader.ReadAsync(path);
        Assert.Equal(BatchFiles.Text(new Table(Chunk(0, 1000).Columns)), BatchFiles.Text(table));
        Assert.Equal(["many.parquet"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_abandoned_parquet_file_leaves_nothing_behind()
    {
        var path = _files.Path("abandoned.parquet");
        await using (var writer = TableChunkWriter.Create(path))
        {
            await writer.WriteAsync(Chunk(0, 10));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task Json_lines_have_one_object_per_row_with_null_for_missing_NaN_and_infinity()
    {
        var path = _files.Path("out.jsonl");
        await using (var writer = TableChunkWriter.Create(path))
        {
            await writer.WriteAsync(Chunk(0, 5));
            await writer.CompleteAsync();
        }

        var lines = await File.ReadAllLinesAsync(path);

        Assert.Equal(5, lines.Length);
        Assert.Equal("{\"id\":0,\"x\":0,\"p\":0,\"flag\":true,\"text\":\"a, \\\"quoted\\\"\\nvalue\"}", lines[0]);
        Assert.Equal("{\"id\":1,\"x\":null,\"p\":0.33333334,\"flag\":false,\"text\":\"t1\"}", lines[1]);
        Assert.Equal("{\"id\":2,\"x\":null,\"p\":0.6666667,\"flag\":true,\"text\":\"t2\"}", lines[2]);
        Assert.Equal("{\"id\":null,\"x\":0.75,\"p\":1,\"flag\":false,\"text\":\"t3\"}", lines[3]);
        using var last = JsonDocument.Parse(lines[4]);
        Assert.Equal(JsonValueKind.Null, last.RootElement.GetProperty("text").ValueKind);
    }

    [Fact]
    public async Task Without_complete_nothing_is_left_and_an_existing_file_stays_as_it_was()
    {
        var path = _files.Write("keep.csv", "old\n1\n");
        await using (var writer = TableChunkWriter.Create(path))
        {
            await writer.WriteAsync(Chunk(0, 3));

            Assert.Equal("old\n1\n", await File.ReadAllTextAsync(path));
        }

        Assert.Equal("old\n1\n", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_chunk_with_other_columns_is_refused_and_a_folder_that_does_not_exist_is_named()
    {
        await using var writer = TableChunkWriter.Create(_files.Path("out.parquet"));
        await writer.WriteAsync(Chunk(0, 2));

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(new Table(new DoubleColumn("id", [1]))));
        var error = Assert.Throws<KeelException>(() => TableChunkWriter.Create(_files.Path("missing/out.csv")));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Throws<KeelException>(() => TableChunkWriter.Create(_files.Path("out.txt")));
    }

    private static Column Concat(Column a, Column b) => a switch
    {
        Int64Column l => new Int64Column(a.Name, [.. l.Values, .. ((Int64Column)b).Values], [.. Enumerable.Range(0, a.Length).Select(a.IsMissing), .. Enumerable.Range(0, b.Length).Select(b.IsMissing)]),
        DoubleColumn d => new DoubleColumn(a.Name, [.. d.Values, .. ((DoubleColumn)b).Values]),
        FloatColumn f => new FloatColumn(a.Name, [.. f.Values, .. ((FloatColumn)b).Values]),
        BooleanColumn o => new BooleanColumn(a.Name, [.. o.Values, .. ((BooleanColumn)b).Values]),
        _ => new StringColumn(a.Name, [.. a.ToStrings(), .. b.ToStrings()]),
    };
}
