using System.Buffers;
using System.Globalization;
using System.Text;
using Keel.Tabular;
using Keel.Tabular.Chunks;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// CSV as pandas' <c>to_csv(index=False)</c> writes it and <see cref="TableReader"/> reads it back:
/// a header row, LF line ends, numbers in their shortest round-trip form, booleans as true/false,
/// missing values (and NaN) as empty fields, infinities as inf/-inf; a field with a comma, quote or
/// line break is quoted, its quotes doubled.
/// </summary>
internal sealed class CsvChunkWriter(string path) : TableChunkWriter(path, BatchFileFormat.Csv)
{
    private const int FlushBytes = 1 << 20;
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",\"\r\n");

    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes + (64 * 1024));

    private protected override async Task StartAsync(Table first, CancellationToken cancellationToken)
    {
        for (var c = 0; c < first.ColumnCount; c++)
        {
            if (c > 0)
            {
                Put((byte)',');
            }

            WriteText(first[c].Name);
        }

        Put((byte)'\n');
        await FlushAsync(cancellationToken);
    }

    private protected override async Task WriteChunkAsync(Table chunk, CancellationToken cancellationToken)
    {
        var row = 0;
        while (row < chunk.RowCount)
        {
            row = FormatRows(chunk, row);
            await FlushAsync(cancellationToken);
        }
    }

    private protected override Task FinishAsync(CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    /// <summary>Formats rows from <paramref name="row"/> until about a megabyte is buffered; returns the next row.</summary>
    private int FormatRows(Table chunk, int row)
    {
        var columns = chunk.Columns;
        for (; row < chunk.RowCount && _buffer.WrittenCount < FlushBytes; row++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0)
                {
                    Put((byte)',');
                }

                WriteCell(columns[c], row);
            }

            Put((byte)'\n');
        }

        return row;
    }

    private void WriteCell(Column column, int row)
    {
        if (column.IsMissing(row))
        {
            return;
        }

        var span = _buffer.GetSpan(64);
        int written;
        switch (column)
        {
            case DoubleColumn d:
                var number = d.Values[row];
                if (double.IsInfinity(number))
                {
                    Write(number > 0 ? "inf"u8 : "-inf"u8);
                    return;
                }

                number.TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                break;
            case FloatColumn f:
                var single = f.Values[row];
                if (float.IsInfinity(single))
                {
                    Write(single > 0 ? "inf"u8 : "-inf"u8);
                    return;
                }

                single.TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                break;
            case Int64Column l:
                l.Values[row].TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                break;
            case Int32Column i:
                i.Values[row].TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                break;
            case BooleanColumn b:
                Write(b.Values[row] ? "true"u8 : "false"u8);
                return;
            default:
                WriteText(column.GetString(row)!);
                return;
        }

        _buffer.Advance(written);
    }

    private void WriteText(string text)
    {
        var quoted = text.AsSpan().ContainsAny(NeedsQuotes);
        if (!quoted)
        {
            var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
            _buffer.Advance(Encoding.UTF8.GetBytes(text, span));
            return;
        }

        Put((byte)'"');
        var escaped = text.Replace("\"", "\"\"", StringComparison.Ordinal);
        var target = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(escaped.Length));
        _buffer.Advance(Encoding.UTF8.GetBytes(escaped, target));
        Put((byte)'"');
    }

    private void Put(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    private void Write(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount > 0)
        {
            await Stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
            _buffer.ResetWrittenCount();
        }
    }
}
