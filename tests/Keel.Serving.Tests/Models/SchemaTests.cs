using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Serving.Models;

namespace Keel.Serving.Tests.Models;

public sealed class SchemaTests
{
    [Theory]
    [InlineData("""[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "city", "required": false}]""")]
    [InlineData("""[{"type": "long", "required": true}]""")]
    [InlineData("""[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, {"type": "object", "properties": {"a": {"type": "double", "required": true}}, "name": "o", "required": false}]""")]
    [InlineData("""[{"name": "input", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]""")]
    [InlineData("""[{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]""")]
    [InlineData("""[{"type": "string", "name": "caf\u00e9 \"quoted\"", "required": true}]""")]
    public void MLflow_schema_json_parses_and_writes_back_byte_for_byte(string json)
    {
        Assert.Equal(json, Schema.Parse(json).ToJson());
    }

    [Fact]
    public void Compact_json_from_other_writers_is_written_in_MLflow_spacing_and_key_order()
    {
        var schema = Schema.Parse("""[{"required":false,"name":"x","type":"double"},{"name":"y","type":"float"}]""");

        Assert.Equal("""[{"type": "double", "name": "x", "required": false}, {"type": "float", "name": "y", "required": true}]""", schema.ToJson());
        Assert.Equal(["x", "y"], schema.Names);
        Assert.False(schema.IsTensorBased);
    }

    [Fact]
    public void Params_schema_parses_and_writes_back_byte_for_byte()
    {
        const string json = """[{"name": "temperature", "type": "float", "default": 0.5, "shape": null}, {"name": "stops", "type": "string", "default": ["a", "b"], "shape": [-1]}, {"name": "n", "type": "long", "default": 3, "shape": null}]""";

        var parameters = ParamSchema.Parse(json);

        Assert.Equal(json, parameters.ToJson());
        Assert.Equal(0.5, parameters.Params[0].Default!.GetValue<double>());
        Assert.Equal([-1L], parameters.Params[1].Shape!);
    }

    [Fact]
    public void A_signature_built_in_code_writes_MLflow_json()
    {
        var inputs = new Schema([new ColumnSpec("age", "long"), new ColumnSpec("city", "string", required: false)]);
        var outputs = new Schema([new TensorSpec("probabilities", "float32", [-1, 3])]);
        var parameters = new ParamSchema([new ParamSpec("top_k", "long", JsonValue.Create(5L))]);

        Assert.Equal("""[{"type": "long", "name": "age", "required": true}, {"type": "string", "name": "city", "required": false}]""", inputs.ToJson());
        Assert.Equal("""[{"name": "probabilities", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]""", outputs.ToJson());
        Assert.Equal("""[{"name": "top_k", "type": "long", "default": 5, "shape": null}]""", parameters.ToJson());
    }

    [Theory]
    [InlineData("""[{"type": "double", "name": "x"}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "t"}]""", "mixes column specs and tensor specs")]
    [InlineData("""[{"type": "double", "name": "x"}, {"type": "double"}]""", "mixes named and unnamed")]
    [InlineData("[]", "at least one")]
    [InlineData("""{"type": "double"}""", "must be a JSON list")]
    [InlineData("""[{"type": "tensor", "name": "t"}]""", "signature.inputs[0] is a tensor spec without a 'tensor-spec'")]
    [InlineData("""[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, "k"]}}]""", "shape[1] must be an integer")]
    [InlineData("""[{"type": "double", "required": "yes"}]""", "signature.inputs[0].required must be true or false")]
    public void A_malformed_schema_is_an_error_naming_the_place(string json, string expected)
    {
        var error = Assert.Throws<KeelException>(() => Schema.Parse(json, "signature.inputs"));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
