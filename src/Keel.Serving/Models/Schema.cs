using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Serving.Models;

/// <summary>
/// One side of a model signature (reference §8): all column specs (<see cref="ColumnSpec"/>) or all
/// tensor specs (<see cref="TensorSpec"/>), never a mix, as MLflow's <c>Schema</c> insists. Parsed
/// from and written to MLflow's JSON text, which is what the MLmodel file stores.
/// </summary>
public sealed class Schema
{
    public Schema(IEnumerable<SchemaField> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = [.. fields];
        if (Fields.Count == 0)
        {
            throw KeelException.Invalid("A signature schema needs at least one column or tensor spec; an empty one is not allowed.");
        }

        if (Fields.Any(f => f is TensorSpec) && Fields.Any(f => f is ColumnSpec))
        {
            throw KeelException.Invalid("A signature schema mixes column specs and tensor specs; use one kind only.");
        }

        if (Fields.Any(f => f.Name is null) && Fields.Any(f => f.Name is not null))
        {
            throw KeelException.Invalid("A signature schema mixes named and unnamed specs; name all of them or none.");
        }

        Names = [.. Fields.Where(f => f.Name is not null).Select(f => f.Name!)];
    }

    public IReadOnlyList<SchemaField> Fields { get; }

    public bool IsTensorBased => Fields[0] is TensorSpec;

    public bool HasNames => Fields[0].Name is not null;

    /// <summary>The specs' names in order; empty for an unnamed schema.</summary>
    public IReadOnlyList<string> Names { get; }

    public IEnumerable<ColumnSpec> Columns => Fields.OfType<ColumnSpec>();

    public IEnumerable<TensorSpec> Tensors => Fields.OfType<TensorSpec>();

    /// <summary>
    /// Parses MLflow's schema JSON (<c>[{"type": "double", "name": "x", "required": true}, ...]</c>);
    /// <paramref name="field"/> names the place in messages (e.g. <c>signature.inputs</c>).
    /// </summary>
    public static Schema Parse(string json, string field = "schema")
    {
        if (SignatureJson.Parse(json, field) is not JsonArray array)
        {
            throw KeelException.Invalid($"{field} must be a JSON list of column or tensor specs.");
        }

        var fields = new List<SchemaField>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject spec)
            {
                throw KeelException.Invalid($"{field}[{i}] must be a JSON object with a 'type'.");
            }

            fields.Add(SchemaField.FromJson(spec, $"{field}[{i}]"));
        }

        return new Schema(fields);
    }

    /// <summary>The JSON text MLflow writes: Python's <c>json.dumps</c> of the specs' dicts.</summary>
    public string ToJson() => SignatureJson.Dumps(new JsonArray([.. Fields.Select(f => f.ToJson())]));

    public override string ToString() => ToJson();
}

/// <summary>A column spec or a tensor spec.</summary>
public abstract class SchemaField
{
    private protected SchemaField(string? name)
    {
        if (name is { Length: 0 })
        {
            throw KeelException.Invalid("A signature spec name must not be empty; leave it out for an unnamed spec.");
        }

        Name = name;
    }

    public string? Name { get; }

    internal abstract JsonObject ToJson();

    internal static SchemaField FromJson(JsonObject spec, string field)
    {
        var type = SignatureJson.String(spec, "type", field)
            ?? throw KeelException.Invalid($"{field} has no 'type'; every spec names its type.");
        var name = SignatureJson.String(spec, "name", field);
        if (string.Equals(type, "tensor", StringComparison.Ordinal))
        {
            if (spec["tensor-spec"] is not JsonObject tensor)
            {
                throw KeelException.Invalid($"{field} is a tensor spec without a 'tensor-spec' object {{\"dtype\", \"shape\"}}.");
            }

            var dtype = SignatureJson.String(tensor, "dtype", field + ".tensor-spec")
                ?? throw KeelException.Invalid($"{field}.tensor-spec has no 'dtype'.");
            if (tensor["shape"] is not JsonArray shape)
            {
                throw KeelException.Invalid($"{field}.tensor-spec has no 'shape' list.");
            }

            return new TensorSpec(name, dtype, [.. shape.Select((d, i) => SignatureJson.Long(d, $"{field}.tensor-spec.shape[{i}]"))]);
        }

        var required = spec["required"] is { } r
            ? r.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                ? r.GetValue<bool>()
                : throw KeelException.Invalid($"{field}.required must be true or false.")
            : true;

        // Nested specs (array items, object properties, map values) are kept as they came.
        var extra = new JsonObject();
        foreach (var (key, value) in spec)
        {
            if (key is not ("type" or "name" or "required"))
            {
                extra[key] = value?.DeepClone();
            }
        }

        return new ColumnSpec(name, type, required) { Extra = extra.Count == 0 ? null : extra };
    }
}

/// <summary>
/// A named (or unnamed) column of an MLflow type: boolean, integer (32-bit), long, float, double,
/// string, binary, datetime; or array/object/map/any, whose nested specs travel in <see cref="Extra"/>.
/// </summary>
public sealed class ColumnSpec : SchemaField
{
    public static readonly IReadOnlyList<string> PrimitiveTypes =
        ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"];

    public ColumnSpec(string? name, string type, bool required = true)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        Type = type;
        Required = required;
    }

    /// <summary>MLflow's type name, e.g. <c>double</c>.</summary>
    public string Type { get; }

    public bool Required { get; }

    /// <summary>Other keys of the spec (nested <c>items</c>, <c>properties</c>, <c>values</c>), in order.</summary>
    public JsonObject? Extra { get; init; }

    internal override JsonObject ToJson()
    {
        // MLflow's ColSpec.to_dict: the type's dict first, then name, then required.
        var json = new JsonObject { ["type"] = Type };
        foreach (var (key, value) in Extra ?? [])
        {
            json[key] = value?.DeepClone();
        }

        if (Name is not null)
        {
            json["name"] = Name;
        }

        json["required"] = Required;
        return json;
    }

    public override string ToString() => $"{Name ?? "(unnamed)"}: {Type}{(Required ? "" : " (optional)")}";
}

/// <summary>A tensor: a NumPy dtype name (<c>float32</c>, <c>int64</c>, <c>object</c>…) and a shape with -1 for dynamic dimensions.</summary>
public sealed class TensorSpec : SchemaField
{
    public TensorSpec(string? name, string dtype, IReadOnlyList<long> shape)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrEmpty(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        Dtype = dtype;
        Shape = shape;
    }

    public string Dtype { get; }

    public IReadOnlyList<long> Shape { get; }

    internal override JsonObject ToJson()
    {
        // MLflow's TensorSpec.to_dict: name (when there is one), type, tensor-spec.
        var json = new JsonObject();
        if (Name is not null)
        {
            json["name"] = Name;
        }

        json["type"] = "tensor";
        json["tensor-spec"] = new JsonObject
        {
            ["dtype"] = Dtype,
            ["shape"] = new JsonArray([.. Shape.Select(d => (JsonNode)d)]),
        };
        return json;
    }

    public override string ToString() => $"{Name ?? "(unnamed)"}: {Dtype}[{string.Join(", ", Shape)}]";
}

internal static class SignatureJson
{
    public static JsonNode? Parse(string json, string field)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw KeelException.Invalid($"{field} is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Python's json.dumps text. PythonJson reads values as JsonElements, so the tree is re-read first.</summary>
    public static string Dumps(JsonNode node) => PythonJson.Dumps(JsonNode.Parse(node.ToJsonString()));

    public static string? String(JsonObject obj, string key, string field) => obj[key] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw KeelException.Invalid($"{field}.{key} must be a string."),
    };

    public static long Long(JsonNode? node, string field) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number)
            ? number
            : throw KeelException.Invalid($"{field} must be an integer (-1 for a dynamic dimension).");
}
