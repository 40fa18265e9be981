using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Keel.Core.Errors;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>
/// JSON lines in chunks: one JSON object per line (blank lines skipped), its keys the columns and
/// its values numbers, strings, booleans or null (missing). The columns are the keys the first
/// chunk's objects have, in the order first seen; a key a row leaves out is a missing value there,
/// and a key no object of the first chunk has is a KeelException naming the line, because the
/// output's columns are fixed by then.
/// </summary>
internal sealed class JsonLinesChunkReader(string path, int chunkRows, Func<Stream>? open) : TableChunkReader(path, BatchFileFormat.JsonLines, chunkRows)
{
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private readonly ByteWindow _window = new(open?.Invoke() ?? OpenFile(path));
    private long _line = 1;
    private long _dataOffset;
    private byte[][] _names = [];
    private Dictionary<string, int> _indexByName = new(StringComparer.Ordinal);

    public override ValueTask DisposeAsync()
    {
        _window.Dispose();
        return ValueTask.CompletedTask;
    }

    private protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        await _window.FillAsync(cancellationToken);
        if (_window.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            _window.Consume(Encoding.UTF8.Preamble.Length);
        }

        _dataOffset = _window.Position;

        // The first chunk's keys name the columns: read them (values skipped), then start over.
        var names = new List<string>();
        var rows = 0;
        while (rows < ChunkRows)
        {
            if (!TryTakeLine(out var line))
            {
                if (_window.Eof)
                {
                    break;
                }

                await _window.FillAsync(cancellationToken);
                continue;
            }

            if (!IsBlank(line))
            {
                CollectKeys(line, names);
                rows++;
            }

            _line++;
        }

        ColumnNames = names;
        _names = [.. names.Select(Encoding.UTF8.GetBytes)];
        _indexByName = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
    }

    private protected override async IAsyncEnumerable<TableChunk> ReadCoreAsync(
        IReadOnlyList<string> columns, IReadOnlyDictionary<string, ColumnType> types, string typeReason,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _window.Seek(_dataOffset);
        _line = 1;
        var builders = new ColumnBuilder?[ColumnNames.Count];
        var positions = columns.Select(name => _indexByName[name]).ToArray();
        foreach (var position in positions)
        {
            var name = ColumnNames[position];
            builders[position] = types.TryGetValue(name, out var type)
                ? ColumnBuilder.Create(type, new ColumnOrigin(Where, name, typeReason), Arrays)
                : new JsonInferringBuilder(new ColumnOrigin(Where, name, ""), Arrays);
        }

        // The row each column last had a value in, to fill the keys a row leaves out.
        var seenIn = new long[ColumnNames.Count];
        Array.Fill(seenIn, -1);
        long firstRow = 0;
        var rows = 0;
        while (true)
        {
            while (rows < ChunkRows && TryTakeLine(out var line))
            {
                if (!IsBlank(line))
                {
                    ParseRow(line, builders, seenIn, firstRow + rows);
                    rows++;
                }

                _line++;
            }

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
            for (var i = 0; i < builders.Length; i++)
            {
                if (builders[i] is JsonInferringBuilder inferring)
                {
                    var type = chunk.Table[inferring.Origin.Name].Type;
                    var reason = $"the first {rows:N0} rows made its type {type.ToString().ToLowerInvariant()}";
                    builders[i] = ColumnBuilder.Create(type, inferring.Origin with { TypeReason = reason }, Arrays);
                }
            }

            yield return chunk;
            firstRow += rows;
            rows = 0;
        }
    }

    /// <summary>The next complete line (without its line break), consumed from the window; false when the window holds no complete line.</summary>
    private bool TryTakeLine(out ReadOnlySpan<byte> line)
    {
        var data = _window.Span;
        var end = data.IndexOf((byte)'\n');
        if (end < 0)
        {
            if (!_window.Eof || data.IsEmpty)
            {
                line = default;
                return false;
            }

            end = data.Length;
        }

        line = data[..end];
        if (line.EndsWith("\r"u8))
        {
            line = line[..^1];
        }

        _window.Consume(Math.Min(end + 1, data.Length));
        return true;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t\r"u8).IsEmpty;

    private void CollectKeys(ReadOnlySpan<byte> line, List<string> names)
    {
        var json = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            StartObject(ref json);
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var name = json.GetString()!;
                if (!names.Contains(name, StringComparer.Ordinal))
                {
                    names.Add(name);
                }

                json.Read();
                json.Skip();
            }

            EndOfLine(ref json);
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }
    }

    private void ParseRow(ReadOnlySpan<byte> line, ColumnBuilder?[] builders, long[] seenIn, long row)
    {
        var json = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            StartObject(ref json);
            var next = 0;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                // Rows usually list their keys in the same order: try the one after the last first.
                var index = next < _names.Length && json.ValueTextEquals(_names[next]) ? next : IndexOf(ref json);
                if (seenIn[index] == row)
                {
                    throw KeelException.Invalid($"{Where} line {_line:N0} has the key '{ColumnNames[index]}' twice.");
                }

                seenIn[index] = row;
                next = index + 1;
                json.Read();
                if (builders[index] is { } builder)
                {
                    builder.AppendJson(ref json, _line);
                }
                else
                {
                    json.Skip();
                }
            }

            EndOfLine(ref json);
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }

        for (var i = 0; i < builders.Length; i++)
        {
            if (seenIn[i] != row && builders[i] is { } builder)
            {
                builder.AppendMissing();
            }
        }
    }

    private int IndexOf(ref Utf8JsonReader json)
    {
        var name = json.GetString()!;
        return _indexByName.TryGetValue(name, out var index)
            ? index
            : throw KeelException.Invalid(
                $"{Where} line {_line:N0} has the key '{name}', which no row of the first chunk ({ChunkRows:N0} rows) has; the columns are fixed by then: {string.Join(", ", ColumnNames)}. Put every key in the first rows, or pass a larger --batch-size.");
    }

    private void StartObject(ref Utf8JsonReader json)
    {
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw KeelException.Invalid($"{Where} line {_line:N0} is not a JSON object; each line holds one object of column values.");
        }
    }

    /// <summary>After the object's closing brace, only white space may follow on the line.</summary>
    private void EndOfLine(ref Utf8JsonReader json)
    {
        if (json.Read())
        {
            throw KeelException.Invalid($"{Where} line {_line:N0} holds more than one JSON value; each line holds one object.");
        }
    }

    private KeelException NotJson(JsonException ex) =>
        KeelException.Invalid($"{Where} line {_line:N0} is not valid JSON: {ex.Message}");
}
