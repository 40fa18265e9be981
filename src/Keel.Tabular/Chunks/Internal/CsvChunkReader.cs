using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Keel.Core.Errors;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>
/// CSV in chunks, parsed straight from UTF-8 bytes (no string per cell unless the column holds
/// strings): the first record names the columns (a UTF-8 byte order mark is skipped), fields are
/// separated by commas, records by LF, CRLF or CR; a field in double quotes may hold commas, line
/// breaks and doubled quotes (RFC 4180). Blank lines are skipped. An empty field is a missing value.
/// A record with another number of fields than the header, or text after a closing quote, is a
/// KeelException naming the line.
/// </summary>
internal sealed class CsvChunkReader(string path, int chunkRows, Func<Stream>? open) : TableChunkReader(path, BatchFileFormat.Csv, chunkRows)
{
    private static readonly SearchValues<byte> FieldEnds = SearchValues.Create(",\r\n"u8);

    private readonly ByteWindow _window = new(open?.Invoke() ?? OpenFile(path));
    private Field[] _fields = new Field[16];
    private byte[] _unescaped = new byte[256];
    private long _line = 1;
    private long _dataOffset;
    private long _dataLine;

    public override ValueTask DisposeAsync()
    {
        _window.Dispose();
        return ValueTask.CompletedTask;
    }

    private protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        await _window.FillAsync(cancellationToken);
        while (_window.Span.Length < 3 && !_window.Eof)
        {
            await _window.FillAsync(cancellationToken);
        }

        if (_window.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            _window.Consume(Encoding.UTF8.Preamble.Length);
        }

        int count, consumed, lines;
        while ((count = ParseRecord(out consumed, out lines)) <= 0)
        {
            if (count == 0)
            {
                _window.Consume(consumed);
                _line += lines;
            }
            else if (_window.Eof)
            {
                throw KeelException.Invalid($"{Where} is empty: a header row with the column names is expected.");
            }
            else
            {
                await _window.FillAsync(cancellationToken);
            }
        }

        var headerLine = _line;
        var names = new string[count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            // pandas names a blank header cell (the index column of `to_csv()`) "Unnamed: i", as TableReader does.
            var bytes = FieldBytes(i);
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                throw ColumnBuilder.NotUtf8(Where, headerLine, $"header field {i + 1}", bytes);
            }

            var name = Encoding.UTF8.GetString(bytes);
            names[i] = name.Length == 0 ? $"Unnamed: {i}" : name;
            if (!seen.Add(names[i]))
            {
                throw KeelException.Invalid($"{Where} header (line {headerLine}) names column '{names[i]}' twice; column names must be unique.");
            }
        }

        _window.Consume(consumed);
        _line += lines;
        _dataOffset = _window.Position;
        _dataLine = _line;
        ColumnNames = names;
    }

    private protected override async IAsyncEnumerable<TableChunk> ReadCoreAsync(
        IReadOnlyList<string> columns, IReadOnlyDictionary<string, ColumnType> types, string typeReason,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _window.Seek(_dataOffset);
        _line = _dataLine;

        // By file position: the builder of each requested column, null for a column not read.
        var builders = new ColumnBuilder?[ColumnNames.Count];
        var positions = columns.Select(name => ColumnNames.ToList().IndexOf(name)).ToArray();
        foreach (var position in positions)
        {
            var name = ColumnNames[position];
            builders[position] = types.TryGetValue(name, out var type)
                ? ColumnBuilder.Create(type, new ColumnOrigin(Where, name, typeReason), Arrays)
                : new CsvInferringBuilder(new ColumnOrigin(Where, name, ""), Arrays);
        }

        long firstRow = 0;
        var rows = 0;
        while (true)
        {
            rows += ParseRows(ChunkRows - rows, builders);
            if (rows < ChunkRows && !(_window.Eof && _window.IsEmpty))
            {
                await _window.FillAsync(cancellationToken);
                continue;
            }

            if (rows == 0)
            {
                yield break;
            }

            var chunk = new TableChunk(new Table(positions.Select(p => builders[p]!.Build())), firstRow, _window.Progress);
            Lock(builders, chunk.Table);
            yield return chunk;
            firstRow += rows;
            rows = 0;
        }
    }

    /// <summary>After the first chunk, an inferred column keeps its type for the rest of the file.</summary>
    private void Lock(ColumnBuilder?[] builders, Table first)
    {
        for (var i = 0; i < builders.Length; i++)
        {
            if (builders[i] is CsvInferringBuilder inferring)
            {
                var type = first[inferring.Origin.Name].Type;
                var reason = $"the first {first.RowCount:N0} rows made its type {type.ToString().ToLowerInvariant()}";
                builders[i] = ColumnBuilder.Create(type, inferring.Origin with { TypeReason = reason }, Arrays);
            }
        }
    }

    /// <summary>Parses up to <paramref name="max"/> complete records from the window into the builders.</summary>
    private int ParseRows(int max, ColumnBuilder?[] builders)
    {
        var rows = 0;
        var columnCount = builders.Length;
        while (rows < max)
        {
            var count = ParseRecord(out var consumed, out var lines);
            if (count < 0)
            {
                break;
            }

            if (count > 0)
            {
                if (count != columnCount)
                {
                    throw KeelException.Invalid(
                        $"{Where} line {_line:N0} has {count} field{(count == 1 ? "" : "s")} but the header has {columnCount}; every row must have one field per column.");
                }

                for (var c = 0; c < columnCount; c++)
                {
                    var builder = builders[c];
                    if (builder is null)
                    {
                        continue;
                    }

                    ref readonly var field = ref _fields[c];
                    if (field.Length == 0)
                    {
                        builder.AppendMissing();
                    }
                    else
                    {
                        builder.Append(field.Escaped ? Unescape(field) : _window.Buffer.AsSpan(field.Start, field.Length), _line);
                    }
                }

                rows++;
            }

            _window.Consume(consumed);
            _line += lines;
        }

        return rows;
    }

    /// <summary>
    /// Splits the record at the window's start into <see cref="_fields"/>: the number of fields, 0
    /// for a blank line, or -1 when the window ends before the record does (read more, then parse
    /// it again from its start) or holds nothing.
    /// </summary>
    private int ParseRecord(out int consumed, out int lines)
    {
        var data = _window.Span;
        var offset = _window.Start;
        var eof = _window.Eof;
        consumed = 0;
        lines = 0;
        if (data.IsEmpty)
        {
            return -1;
        }

        if (data[0] is (byte)'\n' or (byte)'\r')
        {
            if (data[0] == '\r' && data.Length == 1 && !eof)
            {
                return -1;
            }

            consumed = data[0] == '\r' && data.Length > 1 && data[1] == '\n' ? 2 : 1;
            lines = 1;
            return 0;
        }

        var pos = 0;
        var count = 0;
        while (true)
        {
            if (pos < data.Length && data[pos] == '"')
            {
                var i = pos + 1;
                var escaped = false;
                while (true)
                {
                    var quote = data[i..].IndexOf((byte)'"');
                    if (quote < 0)
                    {
                        if (eof)
                        {
                            throw KeelException.Invalid($"{Where} line {_line:N0} opens a quoted field that is never closed.");
                        }

                        return -1;
                    }

                    i += quote;
                    if (i + 1 < data.Length && data[i + 1] == '"')
                    {
                        escaped = true;
                        i += 2;
                        continue;
                    }

                    if (i + 1 == data.Length && !eof)
                    {
                        // Whether this quote closes the field or starts a doubled quote is in the next read.
                        return -1;
                    }

                    break;
                }

                var length = i - (pos + 1);
                Add(count++, offset + pos + 1, length, escaped);
                lines += data.Slice(pos + 1, length).Count((byte)'\n');
                pos = i + 1;
                if (pos < data.Length && data[pos] is not ((byte)',' or (byte)'\r' or (byte)'\n'))
                {
                    throw KeelException.Invalid(
                        $"{Where} line {_line + lines:N0}: a quoted field is followed by '{(char)data[pos]}'; after the closing quote comes a comma or the end of the line (write a quote inside a quoted field as \"\").");
                }
            }
            else
            {
                var end = data[pos..].IndexOfAny(FieldEnds);
                if (end < 0)
                {
                    if (!eof)
                    {
                        return -1;
                    }

                    end = data.Length - pos;
                }

                Add(count++, offset + pos, end, escaped: false);
                pos += end;
            }

            if (pos == data.Length)
            {
                if (!eof)
                {
                    return -1;
                }

                consumed = pos;
                return count;
            }

            var separator = data[pos];
            if (separator == ',')
            {
                pos++;
                continue;
            }

            if (separator == '\r')
            {
                if (pos + 1 == data.Length && !eof)
                {
                    return -1;
                }

                pos += pos + 1 < data.Length && data[pos + 1] == '\n' ? 2 : 1;
            }
            else
            {
                pos++;
            }

            consumed = pos;
            lines++;
            return count;
        }
    }

    private void Add(int index, int start, int length, bool escaped)
    {
        if (index == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[index] = new Field(start, length, escaped);
    }

    private ReadOnlySpan<byte> FieldBytes(int index)
    {
        ref readonly var field = ref _fields[index];
        return field.Escaped ? Unescape(field) : _window.Buffer.AsSpan(field.Start, field.Length);
    }

    /// <summary>A quoted field's text with each doubled quote made single.</summary>
    private ReadOnlySpan<byte> Unescape(in Field field)
    {
        if (_unescaped.Length < field.Length)
        {
            _unescaped = new byte[Math.Max(field.Length, _unescaped.Length * 2)];
        }

        var source = _window.Buffer.AsSpan(field.Start, field.Length);
        var length = 0;
        for (var i = 0; i < source.Length; i++)
        {
            _unescaped[length++] = source[i];
            if (source[i] == '"')
            {
                i++;
            }
        }

        return _unescaped.AsSpan(0, length);
    }

    /// <summary>A field's bytes in the window (inside the quotes for a quoted field); Escaped when it holds doubled quotes.</summary>
    private readonly record struct Field(int Start, int Length, bool Escaped);
}
