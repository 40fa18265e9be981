using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Serving.Tests.Predictors;

public sealed class OnnxPredictorTests
{
    [Fact]
    public async Task Packaged_iris_forest_reproduces_the_expected_labels_and_probabilities()
    {
        using var folder = new TempDirectory();
        var modelDir = folder.Combine("model");
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), modelDir);
        var iris = (await Fixtures.ReadAsync("iris.csv")).DropColumn("species");
        var expected = await Fixtures.ReadAsync("iris_forest_expected.csv");

        using var predictor = ModelLoader.Load(modelDir);
        var result = predictor.Predict(iris);

        Assert.Equal("onnx", predictor.Flavor);
        Assert.Equal(150, result.RowCount);
        Assert.Equal(["label", "probabilities"], result.Outputs.Select(o => o.Name));
        Assert.Equal([150L, 3L], result["probabilities"].Shape);
        Assert.Equal(expected.GetStrings("label"), result.GetPredictedLabels());
        Assert.Equal(expected["label"].ToDoubles(), result.GetPredictedValues());
        var scores = result.GetClassScores();
        for (var row = 0; row < 150; row++)
        {
            for (var k = 0; k < 3; k++)
            {
                Assert.InRange(Math.Abs(scores[row][k] - expected.GetDoubles($"p{k}")[row]), 0, 5e-7);
            }
        }
    }

    [Fact]
    public async Task The_usage_example_packages_loads_and_predicts()
    {
        using var folder = new TempDirectory();
        var modelDir = folder.Combine("model");

        // The example in the engine's hand-over notes, verbatim but for the paths.
        var packager = new ModelPackager(TimeProvider.System);
        packager.SaveOnnx(Fixtures.Path("iris_forest.onnx"), modelDir, new ModelPackageOptions { RunId = "5f2c9a", ArtifactPath = "model" });
        using var predictor = ModelLoader.Load(modelDir);
        var table = (await TableReader.ReadAsync(Fixtures.Path("iris.csv"))).DropColumn("species");
        var result = predictor.Predict(table);
        string?[] labels = result.GetPredictedLabels();
        double[][] scores = result.GetClassScores();
        var json = result.ToMlflowPredictions();

        Assert.Equal(("0", 3), (labels[0], scores[0].Length));
        Assert.Equal(1.0, scores[0].Sum(), 6);
        Assert.Equal(150, json.AsArray().Count);
    }

    [Fact]
    public void Packaged_iris_forest_signature_has_the_graph_tensor_specs()
    {
        using var folder = new TempDirectory();
        var manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), folder.Combine("model"));
        var reread = ModelManifest.Load(folder.Combine("model"));

        foreach (var signature in new[] { manifest.Signature!, reread.Signature! })
        {
            Assert.Equal("""[{"name": "input", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]""", signature.Inputs!.ToJson());
            Assert.Equal(
                """[{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"name": "probabilities", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]""",
                signature.Outputs!.ToJson());
        }

        using var predictor = ModelLoader.Load(folder.Combine("model"));
        Assert.Equal(manifest.Signature!.Inputs!.ToJson(), predictor.Signature.Inputs!.ToJson());
    }

    [Fact]
    public async Task Diabetes_linear_takes_one_named_input_per_column_and_reproduces_its_predictions()
    {
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("diabetes_linear.onnx"), folder.Combine("model"));
        var diabetes = (await Fixtures.ReadAsync("diabetes.csv")).DropColumn("target");
        var expected = (await Fixtures.ReadAsync("diabetes_linear_expected.csv")).GetDoubles("prediction");

        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var result = predictor.Predict(diabetes);

        Assert.Equal([diabetes.RowCount, 1L], result["prediction"].Shape);
        var predicted = result.GetPredictedValues();
        Assert.Equal(expected.Length, predicted.Length);
        for (var row = 0; row < expected.Length; row++)
        {
            Assert.InRange(Math.Abs(predicted[row] - expected[row]), 0, 1e-4);
        }
    }

    [Fact]
    public async Task Diabetes_linear_names_the_input_whose_column_is_missing()
    {
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("diabetes_linear.onnx"), folder.Combine("model"));
        var diabetes = (await Fixtures.ReadAsync("diabetes.csv")).DropColumn("bmi");
        using var predictor = ModelLoader.Load(folder.Combine("model"));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(diabetes));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("'bmi'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iris_forest_with_the_target_still_in_the_table_names_expected_and_actual_column_counts()
    {
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), folder.Combine("model"));
        var iris = await Fixtures.ReadAsync("iris.csv");
        using var predictor = ModelLoader.Load(folder.Combine("model"));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(iris));

        Assert.Contains("takes 4 columns", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("species", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iris_forest_names_a_string_column_fed_to_its_float_input()
    {
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), folder.Combine("model"));
        var iris = (await Fixtures.ReadAsync("iris.csv")).DropColumn("species");
        var table = new Table(iris.Columns.Take(3).Append(new StringColumn("petal_width", [.. iris.GetStrings("petal_width").Select(s => "w" + s)])));
        using var predictor = ModelLoader.Load(folder.Combine("model"));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(table));

        Assert.Contains("'petal_width' holds strings", error.Message, StringComparison.Ordinal);
        Assert.Contains("float32", error.Message, StringComparison.Ordinal);
    }
}
