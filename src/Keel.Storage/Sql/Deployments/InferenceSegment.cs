using System.Buffers;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using Keel.Core.Inference;

namespace Keel.Storage.Sql.Deployments;

/// <summary>
/// What a segment row holds besides its records: the fields every record of the segment shares,
/// and the span of their times.
/// </summary>
internal sealed record InferenceSegmentHeader(
    string Deployment, string ModelName, string ModelVersion, string Route, bool Shadow, long FirstTime, long LastTime, int Count);

/// <summary>
/// The inference log's unit of storage: the records of one write batch that share deployment,
/// model version, route and role, as one JSON array
/// (`[{"request_id", "time", "latency_ms", "status", "error", "inputs", "outputs"}, ...]`),
/// zlib-compressed (fastest level: the JSON of similar requests shrinks several times, and the
/// bytes not written are what the log's writer spent most of its time on).
/// Inputs and outputs are embedded as JSON when they are JSON (what the serving path writes) and
/// kept as text (`inputs_text`, `outputs_text`) otherwise, so a record reads back exactly as it
/// was appended. One row per batch costs one B-tree insert where a row per record cost three.
/// </summary>
internal static class InferenceSegment
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Splits a batch into segments (by deployment, model version, route and role), keeping each one's order.</summary>
    public static IEnumerable<(InferenceSegmentHeader Header, List<InferenceRecord> Records)> Group(IReadOnlyList<InferenceRecord> records)
    {
        var groups = new Dictionary<(string, string, string, string, bool), List<InferenceRecord>>();
        var order = new List<(string, string, string, string, bool)>();
        foreach (var r in records)
        {
            var key = (r.Deployment, r.ModelName, r.ModelVersion, r.Route, r.Shadow);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
                order.Add(key);
            }

            list.Add(r);
        }

        foreach (var key in order)
        {
            var list = groups[key];
            long first = long.MaxValue, last = long.MinValue;
            foreach (var r in list)
            {
                first = Math.Min(first, r.Time);
                last = Math.Max(last, r.Time);
            }

            yield return (new InferenceSegmentHeader(key.Item1, key.Item2, key.Item3, key.Item4, key.Item5, first, last, list.Count), list);
        }
    }

    /// <summary>The segment's records as UTF-8 JSON.</summary>
    public static byte[] Encode(IReadOnlyList<InferenceRecord> records)
    {
        // The JSON and compressed buffers are the thread's, reused from segment to segment (the
        // log has one writer thread): fresh 64 KB+ arrays per segment were zeroed for nothing.
        var buffers = _buffers ??= new EncodeBuffers();
        var buffer = buffers.Json;
        buffer.ResetWrittenCount();
        var w = buffers.Writer;
        w.Reset(buffer);
        w.WriteStartArray();
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WriteString("request_id"u8, r.RequestId);
            w.WriteNumber("time"u8, r.Time);
            w.WriteNumber("latency_ms"u8, double.IsFinite(r.LatencyMs) ? r.LatencyMs : 0);
            w.WriteNumber("status"u8, r.Status);
            if (r.Error is { } error)
            {
                w.WriteString("error"u8, error);
            }

            // A payload given as bytes is copied as bytes (its string is never made).
            WritePayload(w, "inputs", r.InputsUtf8, r.InputsUtf8.IsEmpty ? r.Inputs : null, r.PayloadsAreJson);
            WritePayload(w, "outputs", r.OutputsUtf8, r.OutputsUtf8.IsEmpty ? r.Outputs : null, r.PayloadsAreJson);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.Flush();
        var compressed = buffers.Compressed;
        compressed.SetLength(0);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(buffer.WrittenSpan);
        }

        var stored = compressed.ToArray();
        if (buffer.Capacity > MaxKeptBuffer || compressed.Capacity > MaxKeptBuffer)
        {
            _buffers = null;
        }

        return stored;
    }

    // A thread keeps its encoding buffers up to this size; an exceptional segment's are let go.
    private const int MaxKeptBuffer = 4 * 1024 * 1024;

    [ThreadStatic]
    private static EncodeBuffers? _buffers;

    private sealed class EncodeBuffers
    {
        public readonly ArrayBufferWriter<byte> Json = new(64 * 1024);
        public readonly MemoryStream Compressed = new(16 * 1024);
        public readonly Utf8JsonWriter Writer;

        public EncodeBuffers() => Writer = new Utf8JsonWriter(Json, WriterOptions);
    }

    /// <summary>A stored segment's JSON: zlib-compressed as written since compression came in, plain (`[`) as migrated.</summary>
    public static byte[] Json(byte[] stored)
    {
        if (stored.Length == 0 || stored[0] == (byte)'[')
        {
            return stored;
        }

        using var zlib = new ZLibStream(new MemoryStream(stored), CompressionMode.Decompress);
        using var json = new MemoryStream(stored.Length * 6);
        zlib.CopyTo(json);
        return json.ToArray();
    }

    /// <summary>A payload from its bytes, or from its text (records read back, or made by a caller) encoded once.</summary>
    private static void WritePayload(Utf8JsonWriter w, string name, ReadOnlyMemory<byte> utf8, string? text, bool known)
    {
        if (utf8.IsEmpty && text is null)
        {
            return;
        }

        var bytes = utf8.IsEmpty ? System.Text.Encoding.UTF8.GetBytes(text!) : utf8.Span;
        if (known || IsJson(bytes))
        {
            w.WritePropertyName(name);
            w.WriteRawValue(bytes, skipInputValidation: true);
        }
        else
        {
            w.WriteString(name + "_text", bytes);
        }
    }

    /// <summary>Whether the text is one complete JSON value (then it is embedded as it is).</summary>
    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read() && reader.BytesConsumed == utf8.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a segment's records in the order they were appended; <paramref name="payloads"/>
    /// false leaves inputs, outputs and error unread (null).
    /// </summary>
    public static List<InferenceRecord> Decode(InferenceSegmentHeader header, byte[] stored, bool payloads) =>
        Decode(header, stored, payloads, null);

    /// <summary>
    /// Reads the records whose time <paramref name="select"/> accepts (it is called once per
    /// record, in order); the others are skipped without reading their payloads.
    /// </summary>
    public static List<InferenceRecord> Decode(InferenceSegmentHeader header, byte[] stored, bool payloads, Func<long, bool>? select)
    {
        var json = Json(stored).AsSpan();
        var records = new List<InferenceRecord>(header.Count);
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string requestId = string.Empty;
            string? error = null, inputs = null, outputs = null;
            long time = 0;
            double latency = 0;
            var status = 0;
            var wanted = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (name.SequenceEqual("request_id"u8))
                {
                    requestId = reader.GetString()!;
                }
                else if (name.SequenceEqual("time"u8))
                {
                    time = reader.GetInt64();
                    wanted = select?.Invoke(time) ?? true;
                }
                else if (name.SequenceEqual("latency_ms"u8))
                {
                    latency = reader.GetDouble();
                }
                else if (name.SequenceEqual("status"u8))
                {
                    status = reader.GetInt32();
                }
                else if (!payloads || !wanted)
                {
                    reader.Skip();
                }
                else if (name.SequenceEqual("error"u8))
                {
                    error = reader.GetString();
                }
                else if (name.SequenceEqual("inputs"u8))
                {
                    inputs = Raw(ref reader, json);
                }
                else if (name.SequenceEqual("outputs"u8))
                {
                    outputs = Raw(ref reader, json);
                }
                else if (name.SequenceEqual("inputs_text"u8))
                {
                    inputs = reader.GetString();
                }
                else if (name.SequenceEqual("outputs_text"u8))
                {
                    outputs = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (!wanted)
            {
                continue;
            }

            records.Add(new InferenceRecord(requestId, header.Deployment, header.ModelName, header.ModelVersion, header.Route, header.Shadow,
                time, latency, status, error, inputs, outputs));
        }

        return records;
    }

    private static string Raw(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return System.Text.Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new InvalidDataException($"An inference log segment is not a JSON array of records (found {reader.TokenType}).");
        }
    }
}
