using Keel.Core.Errors;
using Keel.Tabular;
using Parquet;
using Parquet.Schema;

namespace Keel.Serving.Tests.Batch;

public sealed class ParquetChunkReaderTests : IDisposable
{
    private readonly BatchFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task A_row_group_larger_than_a_chunk_is_read_in_chunk_sized_slices_in_order()
    {
        var path = await WriteAsync("groups.parquet", groups: [1000, 250]);

        var chunks = await BatchFiles.ReadChunksAsync(path, chunkRows: 300);

        Assert.Equal([300, 300, 300, 100, 250], chunks.Select(c => c.RowCount));
        Assert.Equal([0L, 300L, 600L, 900L, 1000L], chunks.Select(c => c.FirstRow));
        Assert.Equal(1.0, chunks[^1].Progress);
        Assert.Equal(Enumerable.Range(0, 1250).Select(i => (long)i), chunks.SelectMany(c => ((Int64Column)c.Table["id"]).Values));
        Assert.Equal(Enumerable.Range(0, 1250).Select(i => i % 7 == 0 ? double.NaN : i / 2.0), chunks.SelectMany(c => c.Table.GetDoubles("x")));
        Assert.Equal(Enumerable.Range(0, 1250).Select(i => $"s{i}"), chunks.SelectMany(c => c.Table.GetStrings("s")));
    }

    [Fact]
    public async Task A_string_column_the_model_reads_as_numbers_is_an_error_naming_it()
    {
        var path = await WriteAsync("strings.parquet", groups: [10]);

        var error = await Assert.ThrowsAsync<KeelException>(() =>
            BatchFiles.ReadChunksAsync(path, 100, types: new Dictionary<string, ColumnType> { ["s"] = ColumnType.Double }));

        Assert.Equal($"Parquet file '{path}' column 's' holds strings, but it must hold double values (the test says so).", error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_is_an_error_naming_it()
    {
        var path = _files.Write("fake.parquet", "not a parquet file at all");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchFiles.ReadChunksAsync(path, 100));

        Assert.StartsWith($"Parquet file '{path}' cannot be read", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> WriteAsync(string name, int[] groups)
    {
        var path = _files.Path(name);
        var id = new DataField<long>("id");
        var x = new DataField<double?>("x");
        var s = new DataField<string>("s");
        await using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, x, s), file);
        var start = 0;
        foreach (var rows in groups)
        {
            using var group = writer.CreateRowGroup();
            var range = Enumerable.Range(start, rows).ToArray();
            await group.WriteAsync<long>(id, range.Select(i => (long)i).ToArray());
            await group.WriteAsync<double>(x, range.Select(i => i % 7 == 0 ? (double?)null : i / 2.0).ToArray());
            await group.WriteAsync(s, range.Select(i => $"s{i}").ToArray(), null);
            start += rows;
        }

        return path;
    }
}
