using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Testing;

namespace Keel.Serving.Tests.Models;

public sealed class ModelManifestTests
{
    [Fact]
    public void A_real_sklearn_MLmodel_parses_into_every_field()
    {
        var manifest = ModelManifest.Parse(SklearnMlmodel.Text);

        Assert.Equal("model", manifest.ArtifactPath);
        Assert.Equal("8c1e4f2a9d7b4e0c8a5f3b6d2e1c9a70", manifest.RunId);
        Assert.Equal("3b2f6b9a2b4c4c7fa3b1c0e7e58a6d21", manifest.ModelUuid);
        Assert.Null(manifest.ModelId);
        Assert.Equal("2.20.3", manifest.MlflowVersion);
        Assert.Equal(new DateTime(2024, 11, 5, 9, 41, 27, DateTimeKind.Utc).AddTicks(3_645_120), manifest.UtcTimeCreated);
        Assert.Equal(DateTimeKind.Utc, manifest.UtcTimeCreated!.Value.Kind);
        Assert.Equal(181344L, manifest.ModelSizeBytes);
        Assert.Equal(["python_function", "sklearn"], manifest.Flavors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("mlflow.sklearn", manifest.GetFlavorString("python_function", "loader_module"));
        Assert.Equal("3.10.12", manifest.Flavors["python_function"]["python_version"]);
        Assert.Equal("1.5.1", manifest.Flavors["sklearn"]["sklearn_version"]);
        Assert.Null(manifest.Flavors["sklearn"]["code"]);
        Assert.True(manifest.Flavors["sklearn"].ContainsKey("code"));
        var env = Assert.IsType<Dictionary<string, object?>>(manifest.Flavors["python_function"]["env"]);
        Assert.Equal("python_env.yaml", env["virtualenv"]);
        Assert.Equal("data-science", manifest.Metadata!["owner"]);
        Assert.Equal(150L, manifest.Metadata["rows"]);
        Assert.Equal(0.5, manifest.Metadata["threshold"]);
        Assert.Equal(false, manifest.AdditionalFields["is_signature_from_type_hint"]);
        Assert.Equal(false, manifest.AdditionalFields["type_hint_from_example"]);

        var info = manifest.SavedInputExampleInfo!;
        Assert.Equal(("input_example.json", "dataframe", "split", "serving_input_example.json"), (info.ArtifactPath, info.Type, info.PandasOrient, info.ServingInputPath));

        var inputs = manifest.Signature!.Inputs!;
        Assert.False(inputs.IsTensorBased);
        Assert.Equal(["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], inputs.Names);
        Assert.All(inputs.Columns, c => Assert.Equal(("double", true), (c.Type, c.Required)));
        var output = Assert.IsType<TensorSpec>(Assert.Single(manifest.Signature.Outputs!.Fields));
        Assert.Null(output.Name);
        Assert.Equal("int64", output.Dtype);
        Assert.Equal([-1L], output.Shape);
        Assert.Null(manifest.Signature.Params);
    }

    [Fact]
    public void A_real_sklearn_MLmodel_survives_parse_write_parse_with_every_field()
    {
        var first = ModelManifest.Parse(SklearnMlmodel.Text);
        var written = first.ToYaml();
        var second = ModelManifest.Parse(written);

        Assert.Equal(first.ArtifactPath, second.ArtifactPath);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(first.ModelUuid, second.ModelUuid);
        Assert.Equal(first.MlflowVersion, second.MlflowVersion);
        Assert.Equal(first.UtcTimeCreated, second.UtcTimeCreated);
        Assert.Equal(first.ModelSizeBytes, second.ModelSizeBytes);
        Assert.Equivalent(first.Flavors, second.Flavors, strict: true);
        Assert.Equivalent(first.Metadata, second.Metadata, strict: true);
        Assert.Equivalent(first.AdditionalFields, second.AdditionalFields, strict: true);
        Assert.Equivalent(first.SavedInputExampleInfo, second.SavedInputExampleInfo, strict: true);

        // The signature strings come back byte for byte as MLflow wrote them (json.dumps spacing, key order).
        Assert.Equal(SklearnMlmodel.InputsJson, second.Signature!.Inputs!.ToJson());
        Assert.Equal("""[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]""", second.Signature.Outputs!.ToJson());

        // Writing is stable, and keeps the quoting PyYAML needs: a float-looking version stays a string.
        Assert.Equal(written, second.ToYaml());
        Assert.Contains("utc_time_created: '2024-11-05 09:41:27.364512'", written, StringComparison.Ordinal);
        Assert.Contains("python_version: 3.10.12", written, StringComparison.Ordinal);
        Assert.Contains("  params: null", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_that_PyYAML_would_read_as_other_types_are_quoted_when_written()
    {
        var manifest = ModelManifest.Parse(SklearnMlmodel.Text);
        manifest.Metadata!["version"] = "1.10";
        manifest.Metadata["flag"] = "yes";
        manifest.Metadata["nothing"] = "null";
        manifest.Metadata["count"] = "42";
        manifest.Metadata["empty"] = "";
        manifest.Metadata["small"] = 1e-5;

        var yaml = manifest.ToYaml();
        var reread = ModelManifest.Parse(yaml).Metadata!;

        Assert.Contains("version: '1.10'", yaml, StringComparison.Ordinal);
        Assert.Contains("flag: 'yes'", yaml, StringComparison.Ordinal);
        Assert.Contains("small: 1.0e-05", yaml, StringComparison.Ordinal);
        Assert.Equal(("1.10", "yes", "null", "42", ""), (reread["version"], reread["flag"], reread["nothing"], reread["count"], reread["empty"]));
        Assert.Equal(1e-5, reread["small"]);
    }

    [Fact]
    public void An_MLflow_3_MLmodel_keeps_its_model_id_and_artifact_uri()
    {
        const string yaml = """
            artifact_path: mlflow-artifacts:/1/models/m-0f6d4c1a2b3e4f5a/artifacts
            flavors:
              onnx:
                code: null
                data: model.onnx
                onnx_version: 1.17.0
                providers:
                - CPUExecutionProvider
            model_id: m-0f6d4c1a2b3e4f5a
            model_uuid: m-0f6d4c1a2b3e4f5a
            utc_time_created: '2025-06-01 12:00:00'
            """;

        var manifest = ModelManifest.Parse(yaml);
        var reread = ModelManifest.Parse(manifest.ToYaml());

        Assert.Equal("m-0f6d4c1a2b3e4f5a", reread.ModelId);
        Assert.Equal("mlflow-artifacts:/1/models/m-0f6d4c1a2b3e4f5a/artifacts", reread.ArtifactPath);
        Assert.Equal(new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc), reread.UtcTimeCreated);
        Assert.Equal(new List<object?> { "CPUExecutionProvider" }, reread.Flavors["onnx"]["providers"]);
        Assert.Null(reread.Signature);
    }

    [Fact]
    public void Loading_an_sklearn_model_for_prediction_names_its_flavors_and_suggests_onnx()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.Combine(ModelManifest.FileName), SklearnMlmodel.Text);
        File.WriteAllBytes(folder.Combine("model.pkl"), [0x80, 0x04]);

        var error = Assert.Throws<KeelException>(() => ModelLoader.Load(folder.Path));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("[python_function, sklearn]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'onnx' and 'mlnet'", error.Message, StringComparison.Ordinal);
        Assert.Contains("skl2onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("'onnx' flavor", error.Message, StringComparison.Ordinal);
        Assert.False(ModelLoader.CanLoad(ModelManifest.Parse(SklearnMlmodel.Text)));
    }

    [Theory]
    [InlineData("flavors: [a, b]\n", "'flavors' must be a mapping")]
    [InlineData("run_id: abc\n", "has no flavors")]
    [InlineData("flavors:\n  onnx: {}\nutc_time_created: yesterday\n", "'utc_time_created' must look like 'YYYY-MM-DD HH:MM:SS.ffffff'")]
    [InlineData("flavors:\n  onnx: {}\nmodel_size_bytes: big\n", "'model_size_bytes' must be an integer")]
    [InlineData("flavors:\n  onnx: {}\nsignature:\n  inputs: '[{\"name\": \"x\"}]'\n", "signature.inputs[0] has no 'type'")]
    [InlineData("flavors:\n  onnx: {}\nsignature:\n  inputs: '[{\"type\": \"double\"'\n", "signature.inputs is not valid JSON")]
    [InlineData("flavors: {onnx: {}\n", "is not valid YAML")]
    [InlineData("- just\n- a list\n", "must be a YAML mapping")]
    public void A_malformed_MLmodel_is_an_error_naming_the_field(string yaml, string expected)
    {
        var error = Assert.Throws<KeelException>(() => ModelManifest.Parse(yaml));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_a_folder_without_MLmodel_is_not_found()
    {
        using var folder = new TempDirectory();

        var error = Assert.Throws<KeelException>(() => ModelManifest.Load(folder.Path));

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, error.Code);
        Assert.Contains("has no MLmodel file", error.Message, StringComparison.Ordinal);
    }
}
