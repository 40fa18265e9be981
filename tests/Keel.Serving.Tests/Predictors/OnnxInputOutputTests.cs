using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;
using static Keel.Serving.Tests.Support.Expect;
using B = Keel.Serving.Tests.Support.OnnxModelBuilder;

namespace Keel.Serving.Tests.Predictors;

public sealed class OnnxInputOutputTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void An_output_with_more_rows_than_it_declares_is_read_once_keel_stops_allocating_it()
    {
        // Reshape to [-1, 2] gives 2N rows of a [N, 4] input; the graph declares [N, 2], which shape
        // inference cannot refute. Keel's array of N rows is refused; the call is made again with
        // ONNX Runtime's own outputs, and so is every later one.
        var model = new B()
            .Input("X", B.Float, -1, 4)
            .Initializer("shape", -1, 2)
            .Node("Reshape", ["X", "shape"], ["Y"])
            .Output("Y", B.Float, -1, 2)
            .Build();
        new ModelPackager(Fixtures.Clock).SaveOnnx(model, _folder.Combine("m"));
        using var predictor = ModelLoader.Load(_folder.Combine("m"));
        var input = new Table(
            Column.Create("a", [1.0, 5.0]), Column.Create("b", [2.0, 6.0]), Column.Create("c", [3.0, 7.0]), Column.Create("d", [4.0, 8.0]));

        foreach (var _ in new[] { "first call", "later call" })
        {
            var y = predictor.Predict(input)["Y"];
            Assert.Equal([4L, 2L], y.Shape);
            Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], y.GetData<float>());
        }
    }

    [Fact]
    public void A_ZipMap_output_becomes_a_score_matrix_named_by_its_classes()
    {
        var model = new B()
            .Input("X", B.Float, -1, 2)
            .Node("ZipMap", ["X"], ["output_probability"], "ai.onnx.ml", B.StringsAttribute("classlabels_strings", "no", "yes"))
            .SequenceOfMapsOutput("output_probability", B.String, B.Float)
            .Build();
        var manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(model, _folder.Combine("m"));
        using var predictor = ModelLoader.Load(_folder.Combine("m"));

        var result = predictor.Predict(new Table(Column.Create("p_no", [0.9, 0.2, 0.6]), Column.Create("p_yes", [0.1, 0.8, 0.4])));

        var scores = result["output_probability"];
        Assert.Equal([3L, 2L], scores.Shape);
        Assert.Equal(["no", "yes"], scores.SlotNames!);
        Assert.Equal([0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f], scores.GetData<float>());
        Assert.Equal(Strings("no", "yes", "no"), result.GetPredictedLabels());
        Assert.Equal(["no", "yes"], result.ClassNames!);
        Assert.Equal(
            """[{"name": "output_probability", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, -1]}}]""",
            manifest.Signature!.Outputs!.ToJson());
    }

    [Fact]
    public void Named_inputs_of_each_element_type_are_converted_from_their_columns()
    {
        using var predictor = Typed(out _);
        var table = new Table(
            Column.Create("d", [1.25, double.NaN]),
            Column.Create("i", [7.0, -3.0]),
            Column.Create("s", ["a", null]),
            Column.Create("b", [true, false]),
            Column.Create("n", [5, 6]),
            Column.Create("unused", ["ignored", "too"]));

        var result = predictor.Predict(table);

        Assert.Equal([1.25, double.NaN], result["d_out"].GetData<double>());
        Assert.Equal([7L, -3L], result["i_out"].GetData<long>());
        Assert.Equal(["a", ""], result["s_out"].GetData<string>());
        Assert.Equal([true, false], result["b_out"].GetData<bool>());
        Assert.Equal([5, 6], result["n_out"].GetData<int>());
        Assert.Equal([2L, 1L], result["s_out"].Shape);
    }

    [Fact]
    public void A_fractional_value_for_an_int64_input_is_an_error_naming_column_and_row()
    {
        using var predictor = Typed(out _);
        var table = new Table(
            Column.Create("d", [1.0, 2.0]),
            Column.Create("i", [7.0, 2.5]),
            Column.Create("s", ["a", "b"]),
            Column.Create("b", [true, false]),
            Column.Create("n", [5, 6]));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(table));

        Assert.Contains("Column 'i' holds 2.5 in row 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_value_for_an_integer_input_is_an_error_naming_column_and_row()
    {
        using var predictor = Typed(out _);
        var table = new Table(
            Column.Create("d", [1.0, 2.0]),
            Column.Create("i", new long?[] { 1, 2 }),
            Column.Create("s", ["a", "b"]),
            Column.Create("b", [true, false]),
            Column.Create("n", new int?[] { null, 6 }));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(table));

        Assert.Contains("Column 'n' has a missing value in row 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_signature_of_a_typed_graph_names_each_dtype()
    {
        using var predictor = Typed(out var manifest);

        Assert.Equal(
            """[{"name": "d", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 1]}}, {"name": "i", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 1]}}, {"name": "s", "type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1, 1]}}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "bool", "shape": [-1]}}, {"name": "n", "type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}}]""",
            manifest.Signature!.Inputs!.ToJson());
    }

    [Fact]
    public async Task A_column_based_signature_orders_the_stacked_columns_by_name()
    {
        var inputs = new Schema(new[] { "sepal_length", "sepal_width", "petal_length", "petal_width" }.Select(n => new ColumnSpec(n, "double")));
        new ModelPackager(Fixtures.Clock).SaveOnnx(
            Fixtures.Path("iris_forest.onnx"), _folder.Combine("m"), new ModelPackageOptions { Signature = new ModelSignature(inputs) });
        var iris = await Fixtures.ReadAsync("iris.csv");
        var shuffled = iris.SelectColumns(["species", "petal_width", "sepal_width", "petal_length", "sepal_length"]);
        var expected = await Fixtures.ReadAsync("iris_forest_expected.csv");
        using var predictor = ModelLoader.Load(_folder.Combine("m"));

        var result = predictor.Predict(shuffled);

        Assert.Equal(expected.GetStrings("label"), result.GetPredictedLabels());
    }

    [Fact]
    public void A_signature_without_outputs_takes_the_graphs_outputs()
    {
        // As MLflow writes it when only the inputs were inferred: `outputs: null`.
        Directory.CreateDirectory(_folder.Combine("m"));
        File.Copy(Fixtures.Path("iris_forest.onnx"), _folder.Combine("m", "model.onnx"));
        File.WriteAllText(_folder.Combine("m", "MLmodel"), """
            flavors:
              onnx:
                data: model.onnx
            signature:
              inputs: '[{"type": "float", "name": "sepal_length"}, {"type": "float", "name": "sepal_width"}, {"type": "float", "name": "petal_length"}, {"type": "float", "name": "petal_width"}]'
              outputs: null
              params: null
            """);

        using var predictor = ModelLoader.Load(_folder.Combine("m"));

        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width"], predictor.Signature.Inputs!.Names);
        Assert.Equal(["label", "probabilities"], predictor.Signature.Outputs!.Names);
    }

    [Fact]
    public async Task Predictions_on_several_threads_at_once_agree_with_one_thread()
    {
        new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path("iris_forest.onnx"), _folder.Combine("m"));
        var iris = (await Fixtures.ReadAsync("iris.csv")).DropColumn("species");
        using var predictor = ModelLoader.Load(_folder.Combine("m"));
        var expected = predictor.Predict(iris)["probabilities"].GetData<float>();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => predictor.Predict(iris)["probabilities"].GetData<float>())));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void An_MLmodel_pointing_outside_its_folder_is_refused()
    {
        Directory.CreateDirectory(_folder.Combine("m"));
        File.Copy(Fixtures.Path("iris_forest.onnx"), _folder.Combine("outside.onnx"));
        File.WriteAllText(_folder.Combine("m", "MLmodel"), "flavors:\n  onnx:\n    data: ../outside.onnx\n");

        var error = Assert.Throws<KeelException>(() => ModelLoader.Load(_folder.Combine("m")));

        Assert.Contains("flavors.onnx.data", error.Message, StringComparison.Ordinal);
        Assert.Contains("outside the model folder", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Identity over inputs of five element types: d float64 [N,1], i int64 [N,1], s string [N,1], b bool [N], n int32 [N].</summary>
    private IPredictor Typed(out ModelManifest manifest)
    {
        var model = new B()
            .Input("d", B.Double, -1, 1).Input("i", B.Int64, -1, 1).Input("s", B.String, -1, 1).Input("b", B.Bool, -1).Input("n", B.Int32, -1)
            .Node("Identity", ["d"], ["d_out"]).Node("Identity", ["i"], ["i_out"]).Node("Identity", ["s"], ["s_out"])
            .Node("Identity", ["b"], ["b_out"]).Node("Identity", ["n"], ["n_out"])
            .Output("d_out", B.Double, -1, 1).Output("i_out", B.Int64, -1, 1).Output("s_out", B.String, -1, 1)
            .Output("b_out", B.Bool, -1).Output("n_out", B.Int32, -1)
            .Build();
        manifest = new ModelPackager(Fixtures.Clock).SaveOnnx(model, _folder.Combine("typed"));
        return ModelLoader.Load(_folder.Combine("typed"));
    }
}
