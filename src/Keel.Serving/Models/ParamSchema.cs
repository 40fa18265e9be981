using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;

namespace Keel.Serving.Models;

/// <summary>
/// The inference parameters a model takes (<c>predict(..., params=...)</c>), as MLflow writes them:
/// <c>[{"name": "temperature", "type": "float", "default": 0.5, "shape": null}]</c>.
/// </summary>
public sealed class ParamSchema
{
    public ParamSchema(IEnumerable<ParamSpec> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Params = [.. parameters];
        var duplicate = Params.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw KeelException.Invalid($"Signature params name '{duplicate.Key}' more than once; parameter names must be unique.");
        }
    }

    public IReadOnlyList<ParamSpec> Params { get; }

    public static ParamSchema Parse(string json, string field = "signature.params")
    {
        if (SignatureJson.Parse(json, field) is not JsonArray array)
        {
            throw KeelException.Invalid($"{field} must be a JSON list of parameter specs.");
        }

        var specs = new List<ParamSpec>();
        for (var i = 0; i < array.Count; i++)
        {
            var where = $"{field}[{i}]";
            if (array[i] is not JsonObject spec)
            {
                throw KeelException.Invalid($"{where} must be a JSON object with 'name', 'type' and 'default'.");
            }

            var name = SignatureJson.String(spec, "name", where) ?? throw KeelException.Invalid($"{where} has no 'name'.");
            var type = SignatureJson.String(spec, "type", where) ?? throw KeelException.Invalid($"{where} has no 'type'.");
            IReadOnlyList<long>? shape = spec["shape"] switch
            {
                null => null,
                JsonArray dims => [.. dims.Select((d, j) => SignatureJson.Long(d, $"{where}.shape[{j}]"))],
                _ => throw KeelException.Invalid($"{where}.shape must be null or a list of integers."),
            };
            specs.Add(new ParamSpec(name, type, spec["default"]?.DeepClone(), shape));
        }

        return new ParamSchema(specs);
    }

    public string ToJson() => SignatureJson.Dumps(new JsonArray([.. Params.Select(p => p.ToJson())]));

    public override string ToString() => ToJson();
}

/// <summary>One inference parameter: its name, MLflow type, default value and optional shape (a list parameter).</summary>
public sealed class ParamSpec
{
    public ParamSpec(string name, string type, JsonNode? defaultValue, IReadOnlyList<long>? shape = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(type);
        Name = name;
        Type = type;
        Default = defaultValue;
        Shape = shape;
    }

    public string Name { get; }

    public string Type { get; }

    public JsonNode? Default { get; }

    public IReadOnlyList<long>? Shape { get; }

    internal JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["default"] = Default?.DeepClone(),
        ["shape"] = Shape is null ? null : new JsonArray([.. Shape.Select(d => (JsonNode)d)]),
    };

    public override string ToString() => $"{Name}: {Type} = {Default?.ToJsonString(JsonSerializerOptions.Default) ?? "null"}";
}
