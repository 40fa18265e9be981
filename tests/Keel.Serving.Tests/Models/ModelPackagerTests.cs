using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Serving.Tests.Models;

public sealed class ModelPackagerTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void An_onnx_model_folder_has_the_flavors_MLflow_loads_it_with()
    {
        var manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(
            Fixtures.Path("iris_forest.onnx"),
            _folder.Combine("m"),
            new ModelPackageOptions { RunId = "0a1b2c", ArtifactPath = "model", Metadata = new() { ["team"] = "search" } });
        var reread = ModelManifest.Load(_folder.Combine("m"));

        Assert.Equal(["MLmodel", "model.onnx"], Directory.GetFiles(_folder.Combine("m")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("iris_forest.onnx")), File.ReadAllBytes(_folder.Combine("m", "model.onnx")));
        Assert.Equivalent(
            new Dictionary<string, object?>
            {
                ["onnx_version"] = "1.10.0",
                ["data"] = "model.onnx",
                ["providers"] = new List<object?> { "CPUExecutionProvider" },
                ["code"] = null,
            },
            reread.Flavors["onnx"],
            strict: true);
        Assert.Equivalent(
            new Dictionary<string, object?> { ["loader_module"] = "mlflow.onnx", ["data"] = "model.onnx" },
            reread.Flavors["python_function"],
            strict: true);
        Assert.Equal(("0a1b2c", "model"), (reread.RunId, reread.ArtifactPath));
        Assert.Equal(manifest.ModelUuid, reread.ModelUuid);
        Assert.Matches("^[0-9a-f]{32}$", reread.ModelUuid);
        Assert.Equal(new FileInfo(Fixtures.Path("iris_forest.onnx")).Length, reread.ModelSizeBytes);
        Assert.Equal(new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1_234_560), reread.UtcTimeCreated);
        Assert.Equal("search", reread.Metadata!["team"]);
        Assert.Null(reread.MlflowVersion);
        Assert.Contains("utc_time_created: '2025-03-04 05:06:07.123456'", File.ReadAllText(_folder.Combine("m", "MLmodel")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_logged_model_id_is_also_the_model_uuid_as_MLflow_3_writes_it()
    {
        var manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(
            Fixtures.Path("diabetes_linear.onnx"), _folder.Combine("m"), new ModelPackageOptions { ModelId = "m-7f3e" });

        Assert.Equal(("m-7f3e", "m-7f3e"), (manifest.ModelId, manifest.ModelUuid));
    }

    [Fact]
    public void An_input_example_is_written_in_pandas_split_orient_with_a_serving_body()
    {
        var example = new Table(
            Column.Create("sepal_length", [5.1, double.NaN]),
            Column.Create("species", [0L, 2L]),
            Column.Create("note", ["a \"b\"", null]),
            Column.Create("ok", [true, false]));

        var manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(
            Fixtures.Path("iris_forest.onnx"), _folder.Combine("m"), new ModelPackageOptions { InputExample = example });
        var reread = ModelManifest.Load(_folder.Combine("m"));

        const string split = """{"columns": ["sepal_length", "species", "note", "ok"], "data": [[5.1, 0, "a \"b\"", true], [null, 2, null, false]]}""";
        Assert.Equal(split, File.ReadAllText(_folder.Combine("m", "input_example.json")));
        Assert.Equal($$"""{"dataframe_split": {{split}}}""", File.ReadAllText(_folder.Combine("m", "serving_input_example.json")));
        var info = reread.SavedInputExampleInfo!;
        Assert.Equal(("input_example.json", "dataframe", "split", "serving_input_example.json"), (info.ArtifactPath, info.Type, info.PandasOrient, info.ServingInputPath));
        Assert.Equal(
            Directory.GetFiles(_folder.Combine("m")).Where(f => Path.GetFileName(f) != "MLmodel").Sum(f => new FileInfo(f).Length),
            manifest.ModelSizeBytes);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(_folder.Combine("m", "serving_input_example.json")))!["dataframe_split"]);
    }

    [Fact]
    public void Saving_into_a_folder_that_holds_files_is_refused()
    {
        Directory.CreateDirectory(_folder.Combine("m"));
        File.WriteAllText(_folder.Combine("m", "keep.txt"), "mine");

        var error = Assert.Throws<KeelException>(() => new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), _folder.Combine("m")));

        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, error.Code);
        Assert.Equal("mine", File.ReadAllText(_folder.Combine("m", "keep.txt")));
    }

    [Fact]
    public void Bytes_that_are_not_an_onnx_model_are_refused_and_leave_no_folder_behind()
    {
        var error = Assert.Throws<KeelException>(() => new ModelPackager(Fixtures.Clock).SaveOnnx("not a model"u8.ToArray(), _folder.Combine("m")));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("ONNX Runtime", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder.Combine("m")));
    }

    [Fact]
    public void A_missing_onnx_file_is_not_found()
    {
        var error = Assert.Throws<KeelException>(() => new ModelPackager(Fixtures.Clock).SaveOnnx(_folder.Combine("none.onnx"), _folder.Combine("m")));

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, error.Code);
        Assert.Contains("none.onnx", error.Message, StringComparison.Ordinal);
    }
}
