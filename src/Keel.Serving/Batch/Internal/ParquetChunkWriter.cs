using Keel.Tabular;
using Keel.Tabular.Chunks;
using Parquet;
using Parquet.Schema;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// Parquet with one row group per chunk (Snappy, Parquet.Net's default). Every column is nullable,
/// because a later chunk may have a missing value the first had not; missing values and NaN are
/// null, as pandas' <c>to_parquet</c> writes NaN.
/// <para>
/// A Parquet writer must keep every row group's footer entry until the file ends, and
/// Parquet.Net keeps them as objects: 3.1 KB a 32,768-row chunk of five columns, 1 MB per 10M
/// rows (docs/benchmarks.md). So each chunk is written by a Parquet.Net writer of its own, as if
/// to a file of its own (<see cref="PartStream"/>): its pages go straight to the output, and its
/// footer's row group, offsets moved to where the pages are, goes to a spill file beside the
/// output. The footer is assembled at the end from the first part's metadata, the row count and
/// the spilled entries (<see cref="ParquetFooter"/>), and the spill file deleted: memory stays the
/// same whatever the number of row groups.
/// </para>
/// </summary>
internal sealed class ParquetChunkWriter : TableChunkWriter
{
    // Parquet.Net pools its page buffers in a RecyclableMemoryStreamManager, which by default keeps
    // every freed buffer forever, so the pool grows with the run. A row group of a chunk needs a few
    // MiB (32,768 rows of a few columns); a bound near that keeps the memory of a long run flat.
    private static readonly ParquetOptions Options = new()
    {
        MaximumSmallPoolFreeBytes = 4 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 8 * 1024 * 1024,
    };

    private readonly System.Buffers.ArrayBufferWriter<byte> _entry = new(4096);
    private PartStream? _part;
    private readonly string _spillPath;
    private FileStream? _spill;
    private ParquetSchema? _schema;
    private DataField[] _fields = [];
    private int[] _present = [];
    private byte[]? _template;
    private int _rowGroups;

    public ParquetChunkWriter(string path)
        : base(path, BatchFileFormat.Parquet)
    {
        _spillPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!,
            $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.footer");
    }

    private protected override async Task StartAsync(Table first, CancellationToken cancellationToken)
    {
        _fields = [.. first.Columns.Select(c => new DataField(c.Name, ClrType(c.Type), isNullable: true))];
        _schema = new ParquetSchema(_fields);
        _spill = new FileStream(_spillPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 64 * 1024,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        _part = new PartStream(Stream);
        await Stream.WriteAsync(ParquetFooter.Magic.ToArray(), cancellationToken);
    }

    private protected override async Task WriteChunkAsync(Table chunk, CancellationToken cancellationToken)
    {
        // The part's offsets count from its own start, where its (dropped) PAR1 is.
        var shift = Stream.Position - ParquetFooter.Magic.Length;
        _part!.Start();
        await using (var part = await ParquetWriter.CreateAsync(_schema!, _part, Options, append: false, cancellationToken))
        {
            using (var group = part.CreateRowGroup())
            {
                for (var c = 0; c < chunk.ColumnCount; c++)
                {
                    var field = _fields[c];
                    var task = chunk[c] switch
                    {
                        DoubleColumn d => WriteAsync(group, field, d.Values, Missing(d.Values, double.IsNaN), cancellationToken),
                        FloatColumn f => WriteAsync(group, field, f.Values, Missing(f.Values, float.IsNaN), cancellationToken),
                        Int64Column l => WriteAsync(group, field, l.Values, l.Missing, cancellationToken),
                        Int32Column i => WriteAsync(group, field, i.Values, i.Missing, cancellationToken),
                        BooleanColumn b => WriteAsync(group, field, b.Values, b.Missing, cancellationToken),
                        StringColumn s => group.WriteAsync(field, s.Values, null),
                        _ => throw new InvalidOperationException($"Column '{chunk[c].Name}' has an unknown type."),
                    };
                    await task;
                }

                group.CompleteValidate();
            }

            // What the part writes from here on is its footer.
            _part.StartTrailer();
        }

        var footer = ParquetFooter.Footer(_part.Trailer);
        _template ??= footer.ToArray();
        _entry.ResetWrittenCount();
        _rowGroups += ParquetFooter.CopyRowGroups(footer.Span, shift, _entry);
        await _spill!.WriteAsync(_entry.WrittenMemory, cancellationToken);
    }

    private protected override async Task FinishAsync(CancellationToken cancellationToken)
    {
        await ParquetFooter.WriteAsync(_template!, RowCount, _rowGroups, _spill!, Stream, cancellationToken);
        await ReleaseAsync();
    }

    private protected override ValueTask AbandonAsync() => ReleaseAsync();

    private async ValueTask ReleaseAsync()
    {
        if (_spill is not null)
        {
            await _spill.DisposeAsync();
            _spill = null;
        }
    }

    /// <summary>
    /// What a Parquet.Net writer of one chunk writes to: positions count from the part's start, as
    /// in a file of its own; its leading PAR1 is dropped, its pages go straight to the output, and
    /// what it writes after the row group (footer, length, PAR1) is kept as <see cref="Trailer"/>.
    /// </summary>
    private sealed class PartStream(Stream output) : Stream
    {
        private readonly MemoryStream _trailer = new();
        private long _position;
        private bool _inTrailer;

        public ReadOnlyMemory<byte> Trailer => _trailer.GetBuffer().AsMemory(0, (int)_trailer.Length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _position;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public void Start()
        {
            _position = 0;
            _inTrailer = false;
            _trailer.SetLength(0);
        }

        public void StartTrailer() => _inTrailer = true;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var (skip, target) = Route(buffer.Length);
            target?.Write(buffer[skip..]);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var (skip, target) = Route(buffer.Length);
            return target is null ? ValueTask.CompletedTask : target.WriteAsync(buffer[skip..], cancellationToken);
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        /// <summary>Where <paramref name="count"/> bytes written now go, past how many of them belong to the dropped PAR1.</summary>
        private (int Skip, Stream? Target) Route(int count)
        {
            var start = _position;
            _position += count;
            var magic = (int)Math.Clamp(ParquetFooter.Magic.Length - start, 0, count);
            return magic == count ? (count, null) : (magic, _inTrailer ? _trailer : output);
        }
    }

    private static Type ClrType(ColumnType type) => type switch
    {
        ColumnType.Double => typeof(double),
        ColumnType.Float => typeof(float),
        ColumnType.Int64 => typeof(long),
        ColumnType.Int32 => typeof(int),
        ColumnType.Boolean => typeof(bool),
        _ => typeof(string),
    };

    /// <summary>
    /// A nullable column as Parquet stores it: the present values, and a definition level per row
    /// (1 present, 0 null). Without a missing value the column's own array goes as it is, beside a
    /// shared array of ones, so a chunk is not copied.
    /// </summary>
    private Task WriteAsync<T>(ParquetRowGroupWriter group, DataField field, T[] values, bool[]? missing, CancellationToken ct)
        where T : struct
    {
        if (missing is null)
        {
            if (_present.Length < values.Length)
            {
                _present = new int[values.Length];
                Array.Fill(_present, 1);
            }

            return group.WriteAllPartsAsync<T>(field, values, _present.AsMemory(0, values.Length), null, ct);
        }

        var levels = new int[values.Length];
        var kept = new List<T>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (!missing[i])
            {
                levels[i] = 1;
                kept.Add(values[i]);
            }
        }

        return group.WriteAllPartsAsync<T>(field, kept.ToArray(), levels, null, ct);
    }

    /// <summary>Which values are NaN (missing), or null when none is.</summary>
    private static bool[]? Missing<T>(T[] values, Func<T, bool> isNaN)
    {
        bool[]? missing = null;
        for (var i = 0; i < values.Length; i++)
        {
            if (isNaN(values[i]))
            {
                missing ??= new bool[values.Length];
                missing[i] = true;
            }
        }

        return missing;
    }
}
