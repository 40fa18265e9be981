using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;
using Keel.Tabular;

namespace Keel.Serving.Tests.Protocols;

public sealed class MlflowScoringTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static readonly string IrisColumns = """["sepal_length", "sepal_width", "petal_length", "petal_width"]""";

    internal static ScoringInput Parse(string json, ModelSignature? signature) =>
        MlflowScoring.ParseJson(Encoding.UTF8.GetBytes(json), signature);

    internal static JsonNode Predictions(PredictionResult result)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            MlflowScoring.WritePredictions(writer, result);
        }

        return JsonNode.Parse(buffer.ToArray())!;
    }

    [Fact]
    public void Iris_dataframe_split_with_two_rows_predicts_the_expected_labels()
    {
        var body = """{"dataframe_split": {"columns": """ + IrisColumns + """, "data": """ + models.IrisRowsJson(50, 100) + "}}";

        var input = Parse(body, models.Iris.Signature);
        var result = models.Iris.Predict(input.Table);

        Assert.Equal(ColumnType.Float, input.Table[0].Type);
        Assert.Equal(models.IrisLabels(50, 100), result.GetPredictedLabels());
        var json = Predictions(result);
        var rows = json["predictions"]!.AsArray();
        Assert.Equal(2, rows.Count);
        Assert.Equal(models.IrisLabels(50, 100), rows.Select(r => r!["label"]!.ToJsonString()));
        Assert.Equal(3, rows[0]!["probabilities"]!.AsArray().Count);
        Assert.Null(input.Params);
    }

    [Fact]
    public void Iris_dataframe_split_without_columns_predicts_the_expected_labels()
    {
        var input = Parse("""{"dataframe_split": {"data": """ + models.IrisRowsJson(0, 50) + """, "index": [7, 8]}}""", models.Iris.Signature);

        Assert.Equal(["0", "1", "2", "3"], input.Table.ColumnNames);
        Assert.Equal(models.IrisLabels(0, 50), models.Iris.Predict(input.Table).GetPredictedLabels());
    }

    [Fact]
    public void Iris_instances_as_feature_lists_predict_the_expected_labels()
    {
        var input = Parse($$"""{"instances": {{models.IrisRowsJson(100, 0)}}}""", models.Iris.Signature);

        Assert.Equal(models.IrisLabels(100, 0), models.Iris.Predict(input.Table).GetPredictedLabels());
    }

    [Fact]
    public void Iris_inputs_as_a_bare_two_dimensional_list_predict_the_expected_labels()
    {
        var input = Parse($$"""{"inputs": {{models.IrisRowsJson(50, 100)}}}""", models.Iris.Signature);

        Assert.Equal(models.IrisLabels(50, 100), models.Iris.Predict(input.Table).GetPredictedLabels());
    }

    [Fact]
    public void Iris_inputs_by_tensor_name_predict_the_expected_labels()
    {
        var input = Parse("""{"inputs": {"input": """ + models.IrisRowsJson(50, 100) + "}}", models.Iris.Signature);

        Assert.Equal(models.IrisLabels(50, 100), models.Iris.Predict(input.Table).GetPredictedLabels());
    }

    [Fact]
    public void Diabetes_dataframe_records_with_the_ten_named_columns_predict_the_expected_values()
    {
        var input = Parse($$"""{"dataframe_records": {{models.DiabetesRecordsJson(0, 1)}}}""", models.Diabetes.Signature);
        var result = models.Diabetes.Predict(input.Table);

        Assert.Equal(10, input.Table.ColumnCount);
        var predictions = Predictions(result)["predictions"]!.AsArray();
        Assert.Equal(2, predictions.Count);
        for (var row = 0; row < 2; row++)
        {
            // One output [N, 1] → its nested list, as NumPy's tolist().
            Assert.InRange(Math.Abs(predictions[row]![0]!.GetValue<double>() - models.DiabetesExpected[row]), 0, 1e-4);
        }
    }

    [Fact]
    public void Diabetes_instances_of_objects_and_named_inputs_are_regrouped_into_columns()
    {
        var records = models.DiabetesRecordsJson(2, 3);
        var columnar = JsonSerializer.Serialize(models.DiabetesData.Columns.ToDictionary(c => c.Name, c => new[] { c.GetDouble(2), c.GetDouble(3) }));

        foreach (var body in new[] { $$"""{"instances": {{records}}}""", $$"""{"inputs": {{columnar}}}""" })
        {
            var predicted = models.Diabetes.Predict(Parse(body, models.Diabetes.Signature).Table).GetPredictedValues();
            Assert.InRange(Math.Abs(predicted[0] - models.DiabetesExpected[2]), 0, 1e-4);
            Assert.InRange(Math.Abs(predicted[1] - models.DiabetesExpected[3]), 0, 1e-4);
        }
    }

    [Fact]
    public async Task A_csv_body_predicts_the_expected_labels_and_values()
    {
        using var iris = new MemoryStream(Encoding.UTF8.GetBytes(ServedModels.Csv(models.IrisData, 0, 50, 100)));
        using var diabetes = new MemoryStream(Encoding.UTF8.GetBytes(ServedModels.Csv(models.DiabetesData, 4)));

        var irisInput = await MlflowScoring.ParseCsvAsync(iris, models.Iris.Signature, CancellationToken.None);
        var diabetesInput = await MlflowScoring.ParseCsvAsync(diabetes, models.Diabetes.Signature, CancellationToken.None);

        Assert.Equal(models.IrisLabels(0, 50, 100), models.Iris.Predict(irisInput.Table).GetPredictedLabels());
        Assert.InRange(Math.Abs(models.Diabetes.Predict(diabetesInput.Table).GetPredictedValues()[0] - models.DiabetesExpected[4]), 0, 1e-4);
        Assert.Null(irisInput.Params);
    }

    [Fact]
    public void Params_are_returned_beside_the_table()
    {
        var input = Parse("""{"inputs": {"x": [1, 2]}, "params": {"top_k": 3, "mode": "fast"}}""", null);

        Assert.Equal(3, input.Params!["top_k"].GetInt32());
        Assert.Equal("fast", input.Params["mode"].GetString());
    }

    [Fact]
    public void Without_a_signature_types_are_inferred_from_the_json_values()
    {
        var table = Parse("""{"inputs": {"a": [1, 2], "b": [1.5, 2], "c": ["x", null], "d": [true, false]}}""", null).Table;

        Assert.Equal(
            [ColumnType.Int64, ColumnType.Double, ColumnType.String, ColumnType.Boolean],
            table.Columns.Select(c => c.Type));
        Assert.Equal(2.0, table["b"].GetDouble(1));
        Assert.True(table["c"].IsMissing(1));
    }

    [Fact]
    public void Without_a_signature_instances_of_lists_become_numbered_columns()
    {
        var table = Parse("""{"instances": [[1, 2.5], [3, 4]]}""", null).Table;

        Assert.Equal(["0", "1"], table.ColumnNames);
        Assert.Equal(ColumnType.Int64, table["0"].Type);
        Assert.Equal(ColumnType.Double, table["1"].Type);
    }

    [Fact]
    public void A_column_signature_converts_each_column_to_its_type()
    {
        var signature = new ModelSignature(new Schema([
            new ColumnSpec("d", "double"), new ColumnSpec("f", "float"), new ColumnSpec("l", "long"),
            new ColumnSpec("i", "integer"), new ColumnSpec("b", "boolean"), new ColumnSpec("s", "string"),
            new ColumnSpec("o", "string", required: false),
        ]));

        var table = Parse("""{"dataframe_split": {"columns": ["s", "b", "i", "l", "f", "d"], "data": [["a", true, 1, 2.0, "1.5", 3], [null, "false", null, 4, 2, null]]}}""", signature).Table;

        Assert.Equal(["d", "f", "l", "i", "b", "s"], table.ColumnNames);
        Assert.Equal(
            [ColumnType.Double, ColumnType.Float, ColumnType.Int64, ColumnType.Int32, ColumnType.Boolean, ColumnType.String],
            table.Columns.Select(c => c.Type));
        Assert.Equal([3.0, double.NaN], table["d"].ToDoubles());
        Assert.Equal(1.5f, ((FloatColumn)table["f"]).Values[0]);
        Assert.Equal([2L, 4L], ((Int64Column)table["l"]).Values);
        Assert.True(table["i"].IsMissing(1));
        Assert.Equal([true, false], ((BooleanColumn)table["b"]).Values);
    }

    [Fact]
    public void Dataframe_split_without_columns_takes_the_column_signature_order()
    {
        var signature = new ModelSignature(new Schema([new ColumnSpec("x", "double"), new ColumnSpec("y", "long")]));

        var table = Parse("""{"dataframe_split": {"data": [[0.5, 1]]}}""", signature).Table;

        Assert.Equal(["x", "y"], table.ColumnNames);
    }

    [Fact]
    public void Several_outputs_are_written_as_one_object_per_row()
    {
        var result = new PredictionResult([
            new PredictionTensor("label", new long[] { 1, 2 }, [2]),
            new PredictionTensor("probabilities", new[] { 0.25f, 0.75f, 0.5f, 0.5f }, [2, 2]),
        ]);

        Assert.Equal(
            """{"predictions":[{"label":1,"probabilities":[0.25,0.75]},{"label":2,"probabilities":[0.5,0.5]}]}""",
            Predictions(result).ToJsonString());
    }

    [Fact]
    public void A_single_output_is_written_as_its_nested_list()
    {
        var result = new PredictionResult([new PredictionTensor("variable", new[] { 1.5, double.NaN }, [2, 1])]);

        Assert.Equal("""{"predictions":[[1.5],[null]]}""", Predictions(result).ToJsonString());
    }
}
