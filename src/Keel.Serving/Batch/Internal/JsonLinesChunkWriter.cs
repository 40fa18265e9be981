using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Keel.Tabular;
using Keel.Tabular.Chunks;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// JSON lines: one object per row, its keys the column names in order; missing values, NaN and
/// infinities are null (as MLflow's scoring server writes them); text is UTF-8, not \u-escaped.
/// </summary>
internal sealed class JsonLinesChunkWriter : TableChunkWriter
{
    private const int FlushBytes = 1 << 20;

    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes + (64 * 1024));
    private readonly Utf8JsonWriter _json;
    private JsonEncodedText[] _names = [];

    public JsonLinesChunkWriter(string path)
        : base(path, BatchFileFormat.JsonLines)
    {
        // The file is data, never embedded in HTML, so only what JSON itself requires is escaped.
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    private protected override Task StartAsync(Table first, CancellationToken cancellationToken)
    {
        _names = [.. first.ColumnNames.Select(name => JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping))];
        return Task.CompletedTask;
    }

    private protected override async Task WriteChunkAsync(Table chunk, CancellationToken cancellationToken)
    {
        var row = 0;
        while (row < chunk.RowCount)
        {
            row = FormatRows(chunk, row);
            await Stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
            _buffer.ResetWrittenCount();
        }
    }

    private protected override Task FinishAsync(CancellationToken cancellationToken)
    {
        _json.Dispose();
        return Task.CompletedTask;
    }

    private protected override ValueTask AbandonAsync()
    {
        _json.Dispose();
        return ValueTask.CompletedTask;
    }

    private int FormatRows(Table chunk, int row)
    {
        var columns = chunk.Columns;
        for (; row < chunk.RowCount && _buffer.WrittenCount < FlushBytes; row++)
        {
            _json.WriteStartObject();
            for (var c = 0; c < columns.Count; c++)
            {
                _json.WritePropertyName(_names[c]);
                WriteValue(columns[c], row);
            }

            _json.WriteEndObject();
            _json.Flush();

            // Each line is its own JSON document: reset the writer so it does not put a comma before the next.
            _json.Reset();
            _buffer.GetSpan(1)[0] = (byte)'\n';
            _buffer.Advance(1);
        }

        return row;
    }

    private void WriteValue(Column column, int row)
    {
        if (column.IsMissing(row))
        {
            _json.WriteNullValue();
            return;
        }

        switch (column)
        {
            case DoubleColumn d when double.IsFinite(d.Values[row]):
                _json.WriteNumberValue(d.Values[row]);
                break;
            case FloatColumn f when float.IsFinite(f.Values[row]):
                _json.WriteNumberValue(f.Values[row]);
                break;
            case DoubleColumn or FloatColumn:
                _json.WriteNullValue();
                break;
            case Int64Column l:
                _json.WriteNumberValue(l.Values[row]);
                break;
            case Int32Column i:
                _json.WriteNumberValue(i.Values[row]);
                break;
            case BooleanColumn b:
                _json.WriteBooleanValue(b.Values[row]);
                break;
            default:
                _json.WriteStringValue(column.GetString(row));
                break;
        }
    }
}
