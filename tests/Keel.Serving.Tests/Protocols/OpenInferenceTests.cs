using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;
using Keel.Tabular;

namespace Keel.Serving.Tests.Protocols;

public sealed class OpenInferenceTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static InferRequest Parse(string json, ModelSignature signature) =>
        OpenInference.ParseInfer(Encoding.UTF8.GetBytes(json), signature);

    private static JsonNode Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return JsonNode.Parse(buffer.ToArray())!;
    }

    private static void Rejects(string json, ModelSignature signature, params string[] parts)
    {
        var error = Assert.Throws<KeelException>(() => Parse(json, signature));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        foreach (var part in parts)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }
    }

    private string IrisInfer(string shape = "[2, 4]", string datatype = "FP32", string name = "input") =>
        $$"""{"id": "req-1", "inputs": [{"name": "{{name}}", "shape": {{shape}}, "datatype": "{{datatype}}", "data": {{models.IrisRowsJson(50, 100)}}}]}""";

    private string DiabetesInfer(params string[] skip) => $$"""
        {"inputs": [{{string.Join(", ", models.DiabetesData.Columns.Where(c => !skip.Contains(c.Name)).Select(c =>
            $$"""{"name": "{{c.Name}}", "shape": [2, 1], "datatype": "FP32", "data": {{JsonSerializer.Serialize(new[] { c.GetDouble(0), c.GetDouble(1) })}}}"""))}}]}
        """;

    [Fact]
    public void Iris_infer_with_an_fp32_tensor_of_two_rows_predicts_the_expected_labels()
    {
        var request = Parse(IrisInfer(), models.Iris.Signature);
        var result = models.Iris.Predict(request.Table);
        var response = Write(w => OpenInference.WriteInferResponse(w, "iris", "3", request.Id, result, request.RequestedOutputs));

        Assert.Equal("req-1", request.Id);
        Assert.Equal(4, request.Table.ColumnCount);
        Assert.Equal(models.IrisLabels(50, 100), result.GetPredictedLabels());
        Assert.Equal("iris", response["model_name"]!.GetValue<string>());
        Assert.Equal("3", response["model_version"]!.GetValue<string>());
        Assert.Equal("req-1", response["id"]!.GetValue<string>());
        var outputs = response["outputs"]!.AsArray();
        Assert.Equal(["label", "probabilities"], outputs.Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal("""{"name":"label","shape":[2],"datatype":"INT64","data":[1,2]}""".Replace("[1,2]", $"[{string.Join(",", models.IrisLabels(50, 100))}]", StringComparison.Ordinal), outputs[0]!.ToJsonString());
        Assert.Equal("[2,3]", outputs[1]!["shape"]!.ToJsonString());
        Assert.Equal("FP32", outputs[1]!["datatype"]!.GetValue<string>());
        Assert.Equal(6, outputs[1]!["data"]!.AsArray().Count);
    }

    [Fact]
    public void Iris_infer_takes_flat_data_and_fp64_and_returns_only_the_requested_outputs()
    {
        var json = IrisInfer(datatype: "FP64").Replace("[[", "[", StringComparison.Ordinal).Replace("]]", "]", StringComparison.Ordinal).Replace("],[", ",", StringComparison.Ordinal)
            .Replace("]}]}", "]}], \"outputs\": [{\"name\": \"probabilities\"}]}", StringComparison.Ordinal);

        var request = Parse(json, models.Iris.Signature);
        var result = models.Iris.Predict(request.Table);
        var response = Write(w => OpenInference.WriteInferResponse(w, "iris", null, null, result, request.RequestedOutputs));

        Assert.Equal(["probabilities"], request.RequestedOutputs!);
        Assert.Equal(ColumnType.Float, request.Table[0].Type);
        Assert.Null(response["model_version"]);
        Assert.Null(response["id"]);
        Assert.Equal(["probabilities"], response["outputs"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Diabetes_infer_with_ten_fp32_inputs_predicts_the_expected_values()
    {
        var request = Parse(DiabetesInfer(), models.Diabetes.Signature);
        var result = models.Diabetes.Predict(request.Table);
        var output = Write(w => OpenInference.WriteInferResponse(w, "diabetes", "1", null, result, null))["outputs"]![0]!;

        Assert.Equal(models.DiabetesData.ColumnNames, request.Table.ColumnNames);
        Assert.Equal("prediction", output["name"]!.GetValue<string>());
        Assert.Equal("[2,1]", output["shape"]!.ToJsonString());
        Assert.Equal("FP32", output["datatype"]!.GetValue<string>());
        var data = output["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.InRange(Math.Abs(data[0] - models.DiabetesExpected[0]), 0, 1e-4);
        Assert.InRange(Math.Abs(data[1] - models.DiabetesExpected[1]), 0, 1e-4);
    }

    [Fact]
    public void An_unknown_input_name_is_named() =>
        Rejects(IrisInfer(name: "features"), models.Iris.Signature, "Unknown input 'features'", "'input'");

    [Fact]
    public void A_missing_input_is_named() =>
        Rejects(DiabetesInfer("bmi"), models.Diabetes.Signature, "Missing input 'bmi'");

    [Fact]
    public void A_shape_that_does_not_match_the_data_length_is_named() =>
        Rejects(IrisInfer(shape: "[3, 4]"), models.Iris.Signature, "Input 'input'", "[3, 4]", "12 values", "has 8");

    [Fact]
    public void A_shape_that_does_not_match_the_signature_is_named() =>
        Rejects(IrisInfer(shape: "[4, 2]"), models.Iris.Signature, "Input 'input'", "[4, 2]", "[-1, 4]");

    [Fact]
    public void A_datatype_the_input_cannot_take_is_named()
    {
        Rejects(IrisInfer(datatype: "BOOL"), models.Iris.Signature, "Input 'input'", "BOOL", "true or false");
        Rejects("""{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]}""", models.Iris.Signature, "Input 'input'", "BYTES", "float32");
        Rejects(IrisInfer(datatype: "FP8"), models.Iris.Signature, "datatype 'FP8'");
    }

    [Fact]
    public void Column_signatures_take_one_input_per_column()
    {
        var signature = new ModelSignature(new Schema([new ColumnSpec("x", "double"), new ColumnSpec("flag", "boolean")]));

        var table = Parse("""{"inputs": [{"name": "flag", "shape": [2], "datatype": "BOOL", "data": [true, false]}, {"name": "x", "shape": [2, 1], "datatype": "INT64", "data": [[1], [2]]}]}""", signature).Table;

        Assert.Equal(["x", "flag"], table.ColumnNames);
        Assert.Equal([1.0, 2.0], table["x"].ToDoubles());
        Assert.Equal(ColumnType.Boolean, table["flag"].Type);
        Rejects("""{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]}""", signature, "Missing input 'flag'");
    }

    [Fact]
    public void Malformed_requests_are_rejected()
    {
        Rejects("""{"inputs": [""", models.Iris.Signature, "not valid JSON");
        Rejects("""{"inputs": []}""", models.Iris.Signature, "'inputs'");
        Rejects("""{"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}""", models.Iris.Signature, "inputs[0]", "'name'");
        Rejects(IrisInfer().Replace("\"req-1\"", "7", StringComparison.Ordinal), models.Iris.Signature, "'id'");
    }

    [Fact]
    public void Iris_metadata_has_the_tensor_inputs_and_outputs()
    {
        var metadata = Write(w => OpenInference.WriteModelMetadata(w, "iris", ["1", "2"], "onnx", models.Iris.Signature));

        Assert.Equal(
            """{"name":"iris","versions":["1","2"],"platform":"onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,4]}],"outputs":[{"name":"label","datatype":"INT64","shape":[-1]},{"name":"probabilities","datatype":"FP32","shape":[-1,3]}]}""",
            metadata.ToJsonString());
    }

    [Fact]
    public void Diabetes_metadata_lists_its_ten_inputs()
    {
        var metadata = Write(w => OpenInference.WriteModelMetadata(w, "diabetes", ["1"], "onnx", models.Diabetes.Signature));

        var inputs = metadata["inputs"]!.AsArray();
        Assert.Equal(models.DiabetesData.ColumnNames, inputs.Select(i => i!["name"]!.GetValue<string>()));
        Assert.All(inputs, i => Assert.Equal("""{"datatype":"FP32","shape":[-1,1]}""", new JsonObject { ["datatype"] = i!["datatype"]!.DeepClone(), ["shape"] = i["shape"]!.DeepClone() }.ToJsonString()));
        Assert.Equal("""[{"name":"prediction","datatype":"FP32","shape":[-1,1]}]""", metadata["outputs"]!.ToJsonString());
    }

    [Fact]
    public void Column_signature_metadata_has_one_entry_per_column()
    {
        var signature = new ModelSignature(
            new Schema([new ColumnSpec("x", "double"), new ColumnSpec("n", "long"), new ColumnSpec("s", "string")]),
            new Schema([new ColumnSpec(null, "boolean")]));

        var metadata = Write(w => OpenInference.WriteModelMetadata(w, "m", ["4"], "mlnet", signature));

        Assert.Equal(
            """[{"name":"x","datatype":"FP64","shape":[-1]},{"name":"n","datatype":"INT64","shape":[-1]},{"name":"s","datatype":"BYTES","shape":[-1]}]""",
            metadata["inputs"]!.ToJsonString());
        Assert.Equal("""[{"name":"output_0","datatype":"BOOL","shape":[-1]}]""", metadata["outputs"]!.ToJsonString());
    }

    [Fact]
    public void Response_data_is_flat_with_nan_as_null()
    {
        var result = new PredictionResult([new PredictionTensor("y", new[] { 1.5, double.NaN, 2, 3 }, [2, 2])]);

        var response = Write(w => OpenInference.WriteInferResponse(w, "m", null, null, result, null));

        Assert.Equal("""{"model_name":"m","outputs":[{"name":"y","shape":[2,2],"datatype":"FP64","data":[1.5,null,2,3]}]}""", response.ToJsonString());
    }
}
