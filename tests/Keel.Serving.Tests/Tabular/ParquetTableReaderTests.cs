using Keel.Core.Errors;
using Keel.Tabular;
using Keel.Testing;
using Parquet;
using Parquet.Schema;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Tabular;

public sealed class ParquetTableReaderTests
{
    private static readonly DataField<double?> Score = new("score");
    private static readonly DataField<float> Weight = new("weight");
    private static readonly DataField<long?> Count = new("count");
    private static readonly DataField<int> Age = new("age");
    private static readonly DataField<short> Level = new("level");
    private static readonly DataField<bool?> Active = new("active");
    private static readonly DataField<string> Name = new("name");
    private static readonly DataField<DateTime> Seen = new("seen");

    [Fact]
    public async Task A_parquet_file_reads_its_primitive_columns_with_their_missing_values()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("people.parquet");
        await WriteAsync(path);

        var table = await TableReader.ReadAsync(path);

        Assert.Equal(5, table.RowCount);
        Assert.Equal(["score", "weight", "count", "age", "level", "active", "name", "seen"], table.ColumnNames);
        Assert.Equal(
            [ColumnType.Double, ColumnType.Float, ColumnType.Int64, ColumnType.Int32, ColumnType.Int32, ColumnType.Boolean, ColumnType.String, ColumnType.String],
            table.Columns.Select(c => c.Type));
        Assert.Equal([0.5, double.NaN, 2.5, 3.5, double.NaN], table.GetDoubles("score"));
        Assert.Equal([60f, 70.5f, 80f, 90f, 100f], ((FloatColumn)table["weight"]).Values);
        Assert.Equal([1L, null, 3L, 4L, 5L], Enumerable.Range(0, 5).Select(r => (long?)table["count"].GetValue(r)));
        Assert.Equal([30, 40, 50, 60, 70], ((Int32Column)table["age"]).Values);
        Assert.Equal([1, 2, 3, 4, 5], ((Int32Column)table["level"]).Values);
        Assert.Equal(Strings("true", "false", null, "true", "false"), table.GetStrings("active"));
        Assert.Equal(Strings("ann", null, "cy", "dee", "ed"), table.GetStrings("name"));
        Assert.StartsWith("2024-01-02T03:04:05.0000000", table.GetStrings("seen")[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parquet_stream_that_cannot_seek_is_read_all_the_same()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("people.parquet");
        await WriteAsync(path);
        await using var stream = new ForwardOnlyStream(File.OpenRead(path));

        var table = await TableReader.ReadAsync(stream, TableFormat.Parquet);

        Assert.Equal(5, table.RowCount);
    }

    [Fact]
    public async Task A_list_column_is_an_error_naming_it()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("lists.parquet");
        var tags = new DataField("tags", typeof(int), false, true, null);
        var id = new DataField<int>("id");
        await using (var stream = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, tags), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(id, new[] { 1, 2 }.AsMemory());
            await group.WriteAsync<int>(tags, new[] { 1, 2, 3 }.AsMemory(), new[] { 0, 1, 0 }.AsMemory());
        }

        var error = await Assert.ThrowsAsync<KeelException>(() => TableReader.ReadAsync(path));

        Assert.Contains("'tags'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_is_an_error()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("fake.parquet");
        await File.WriteAllTextAsync(path, "not,parquet\n1,2\n");

        var error = await Assert.ThrowsAsync<KeelException>(() => TableReader.ReadAsync(path));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("fake.parquet", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Two row groups, so reading has to put them back together.</summary>
    private static async Task WriteAsync(string path)
    {
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(Score, Weight, Count, Age, Level, Active, Name, Seen), stream);
        var seen = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        await WriteGroupAsync(writer, [0.5, null, 2.5], [60f, 70.5f, 80f], [1, null, 3], [30, 40, 50], [1, 2, 3], [true, false, null], ["ann", null, "cy"], seen);
        await WriteGroupAsync(writer, [3.5, null], [90f, 100f], [4, 5], [60, 70], [4, 5], [true, false], ["dee", "ed"], seen);
    }

    private static async Task WriteGroupAsync(
        ParquetWriter writer, double?[] score, float[] weight, long?[] count, int[] age, short[] level, bool?[] active, string?[] name, DateTime seen)
    {
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<double>(Score, score.AsMemory());
        await group.WriteAsync<float>(Weight, weight.AsMemory());
        await group.WriteAsync<long>(Count, count.AsMemory());
        await group.WriteAsync<int>(Age, age.AsMemory());
        await group.WriteAsync<short>(Level, level.AsMemory());
        await group.WriteAsync<bool>(Active, active.AsMemory());
        await group.WriteAsync(Name, name!);
        await group.WriteAsync<DateTime>(Seen, Enumerable.Repeat(seen, weight.Length).ToArray().AsMemory());
    }

    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
