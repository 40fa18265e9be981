using System.Globalization;
using System.Text.Json;
using Keel.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Http;

/// <summary>
/// A request's fields, read as MLflow reads them (reference §1.2): GET from the query string, other
/// methods from a JSON body; snake_case or lowerCamelCase names; int64 and doubles as numbers or
/// strings (Java and R clients), "NaN"/"Infinity"; a double-encoded JSON string body decoded twice.
/// </summary>
public sealed class MlflowArgs
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };
    private readonly JsonElement _body;
    private readonly IQueryCollection _query;
    private readonly bool _fromQuery;

    private MlflowArgs(JsonElement body, IQueryCollection query, bool fromQuery)
    {
        _body = body;
        _query = query;
        _fromQuery = fromQuery;
    }

    /// <summary>The JSON body (undefined for a query string): for handlers that read nested objects themselves.</summary>
    public JsonElement Body => _body;

    public static MlflowArgs FromQuery(IQueryCollection query) => new(default, query, fromQuery: true);

    public static async Task<MlflowArgs> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return FromQuery(request.Query);
        }

        if ((HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method)) && !IsJson(request.ContentType))
        {
            throw new KeelException(ErrorCode.INVALID_PARAMETER_VALUE, "Bad Request. Content-Type must be one of [application/json].");
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, DocumentOptions, ct);
        }
        catch (JsonException e) when (e.LineNumber == 0 && e.BytePositionInLine == 0)
        {
            // An empty body is an empty message; required-field checks then name what is missing.
            return new MlflowArgs(default, request.Query, fromQuery: false);
        }
        catch (JsonException e)
        {
            throw KeelException.Invalid($"Malformed JSON in the request body: {e.Message}");
        }

        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.String)
        {
            // Old clients double-encode: the body is a JSON string holding the JSON message.
            try
            {
                root = JsonDocument.Parse(root.GetString()!, DocumentOptions).RootElement;
            }
            catch (JsonException e)
            {
                throw KeelException.Invalid($"Malformed JSON in the request body: {e.Message}");
            }
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw KeelException.Invalid($"Malformed request body: expected a JSON object, got {root.ValueKind}.");
        }

        return new MlflowArgs(root, request.Query, fromQuery: false);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.TrimStart().StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    public string? String(string name)
    {
        if (_fromQuery)
        {
            return _query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
        }

        if (!TryGet(name, out var e))
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Null => null,
            // Lenient where MLflow is strict: R sends numbers where strings belong (reference §9.3).
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw WrongType(name, e, "a string"),
        };
    }

    public string RequiredString(string name) =>
        String(name) is { Length: > 0 } value ? value : throw KeelException.Missing(name);

    /// <summary>A run id, accepting the legacy `run_uuid` alias (reference §1.2).</summary>
    public string RunId() => String("run_id") is { Length: > 0 } id ? id
        : String("run_uuid") is { Length: > 0 } uuid ? uuid
        : throw KeelException.Missing("run_id");

    public long? Int64(string name)
    {
        var (text, element) = Scalar(name);
        if (text is null)
        {
            return element is { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out var v) ? v
                : element is null ? null
                : throw WrongType(name, element.Value, "an integer");
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9.2e18
                ? (long)d
                : throw KeelException.Invalid($"Invalid value '{text}' for parameter '{name}' supplied: it must be an integer.");
    }

    public int? Int32(string name)
    {
        var value = Int64(name);
        return value is null ? null
            : value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw KeelException.Invalid($"Invalid value {value} for parameter '{name}' supplied: it must fit in a 32-bit integer.");
    }

    public double? Double(string name)
    {
        var (text, element) = Scalar(name);
        if (text is null)
        {
            return element is { ValueKind: JsonValueKind.Number } n ? n.GetDouble()
                : element is null ? null
                : throw WrongType(name, element.Value, "a number");
        }

        return ParseDouble(text) ?? throw KeelException.Invalid($"Invalid value '{text}' for parameter '{name}' supplied: it must be a number.");
    }

    public bool? Bool(string name)
    {
        var (text, element) = Scalar(name);
        if (text is null)
        {
            return element?.ValueKind switch
            {
                null => null,
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw WrongType(name, element.Value, "a boolean"),
            };
        }

        return text.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw KeelException.Invalid($"Invalid value '{text}' for parameter '{name}' supplied: it must be true or false."),
        };
    }

    /// <summary>An enum by name ("RUNNING") or number (1), as protobuf JSON accepts.</summary>
    public T? Enum<T>(string name)
        where T : struct, Enum
    {
        var (text, element) = Scalar(name);
        if (text is null && element is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var number))
        {
            text = number.ToString(CultureInfo.InvariantCulture);
        }

        if (text is null)
        {
            return element is null ? null : throw WrongType(name, element.Value, $"one of {string.Join(", ", System.Enum.GetNames<T>())}");
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && System.Enum.IsDefined(typeof(T), i))
        {
            return (T)(object)i;
        }

        return System.Enum.TryParse<T>(text, ignoreCase: true, out var parsed) && !int.TryParse(text, out _)
            ? parsed
            : throw KeelException.Invalid(
                $"Invalid value '{text}' for parameter '{name}' supplied: it must be one of {string.Join(", ", System.Enum.GetNames<T>())}.");
    }

    /// <summary>A repeated string field (repeated query keys on GET); a lone scalar counts as a list of one (R).</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        if (_fromQuery)
        {
            return _query.TryGetValue(name, out var values) ? values.Where(v => v is not null).Select(v => v!).ToList() : [];
        }

        if (!TryGet(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            return [ScalarText(name, e)];
        }

        return e.EnumerateArray().Select(item => ScalarText(name, item)).ToList();
    }

    /// <summary>A repeated message field; a lone object counts as a list of one (R).</summary>
    public IReadOnlyList<MlflowArgs> Objects(string name)
    {
        if (_fromQuery || !TryGet(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (e.ValueKind == JsonValueKind.Object)
        {
            return [new MlflowArgs(e, _query, fromQuery: false)];
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, e, "a list of objects");
        }

        var list = new List<MlflowArgs>(e.GetArrayLength());
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(name, item, "a list of objects");
            }

            list.Add(new MlflowArgs(item, _query, fromQuery: false));
        }

        return list;
    }

    /// <summary>
    /// A repeated Metric field, read in one pass per element: log-batch carries up to 1,000 of
    /// them, so this avoids a wrapper and four property look-ups per point.
    /// </summary>
    public IReadOnlyList<Keel.Core.Tracking.Metric> Metrics(string name)
    {
        if (_fromQuery || !TryGet(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (e.ValueKind == JsonValueKind.Object)
        {
            return [ReadMetric(e, $"{name}[0].")];
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, e, "a list of objects");
        }

        var metrics = new List<Keel.Core.Tracking.Metric>(e.GetArrayLength());
        var index = 0;
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(name, item, "a list of objects");
            }

            metrics.Add(ReadMetric(item, $"{name}[{index++}]."));
        }

        return metrics;
    }

    /// <summary>The request itself as one Metric message (log-metric): the same reader as log-batch's items.</summary>
    public Keel.Core.Tracking.Metric Metric() =>
        _body.ValueKind == JsonValueKind.Object ? ReadMetric(_body, string.Empty) : throw KeelException.Missing("key");

    /// <summary>One Metric message; <paramref name="prefix"/> names it in errors (`metrics[3].`).</summary>
    public static Keel.Core.Tracking.Metric ReadMetric(JsonElement item, string prefix)
    {
        string? key = null;
        double? value = null;
        long? timestamp = null;
        long step = 0;
        foreach (var property in item.EnumerateObject())
        {
            var v = property.Value;
            switch (property.Name)
            {
                case "key":
                    key = v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? null : ScalarText(prefix + "key", v);
                    break;
                case "value":
                    value = v.ValueKind switch
                    {
                        JsonValueKind.Number => v.GetDouble(),
                        JsonValueKind.String => ParseDouble(v.GetString()!) ?? throw KeelException.Invalid(
                            $"Invalid value '{v.GetString()}' for parameter '{prefix}value' supplied: it must be a number."),
                        JsonValueKind.Null => null,
                        _ => throw WrongType(prefix + "value", v, "a number"),
                    };
                    break;
                case "timestamp":
                    timestamp = ReadInt64(prefix + "timestamp", v);
                    break;
                case "step":
                    step = ReadInt64(prefix + "step", v) ?? 0;
                    break;
            }
        }

        return new Keel.Core.Tracking.Metric(
            string.IsNullOrEmpty(key) ? throw KeelException.Missing(prefix + "key") : key,
            value ?? throw KeelException.Missing(prefix + "value"),
            timestamp ?? throw KeelException.Missing(prefix + "timestamp"),
            step);
    }

    private static long? ReadInt64(string name, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        JsonValueKind.Null => null,
        _ => throw WrongType(name, v, "an integer"),
    };

    public MlflowArgs? Object(string name)
    {
        if (_fromQuery || !TryGet(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.Object ? new MlflowArgs(e, _query, fromQuery: false) : throw WrongType(name, e, "an object");
    }

    private (string? Text, JsonElement? Element) Scalar(string name)
    {
        if (_fromQuery)
        {
            return _query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? (values[0], null) : (null, null);
        }

        if (!TryGet(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return e.ValueKind == JsonValueKind.String ? (e.GetString(), null) : (null, e);
    }

    private static string ScalarText(string name, JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number => e.GetRawText(),
        _ => throw WrongType(name, e, "a string"),
    };

    internal static double? ParseDouble(string text) => text switch
    {
        "NaN" or "nan" => double.NaN,
        "Infinity" or "inf" or "+Infinity" => double.PositiveInfinity,
        "-Infinity" or "-inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
    };

    private bool TryGet(string name, out JsonElement element)
    {
        if (_body.ValueKind != JsonValueKind.Object)
        {
            element = default;
            return false;
        }

        if (_body.TryGetProperty(name, out element))
        {
            return true;
        }

        var camel = CamelCase(name);
        return !ReferenceEquals(camel, name) && _body.TryGetProperty(camel, out element);
    }

    private static string CamelCase(string snake)
    {
        if (!snake.Contains('_', StringComparison.Ordinal))
        {
            return snake;
        }

        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static KeelException WrongType(string name, JsonElement value, string expected) =>
        KeelException.Invalid($"Invalid value {Shorten(value.GetRawText())} for parameter '{name}' supplied: it must be {expected}.");

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
