using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Serving.Tests.Predictors;

public sealed class MlNetPredictorTests
{
    private static readonly string[] IrisFeatures = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

    [Fact]
    public async Task A_packaged_multiclass_model_predicts_what_the_transformer_predicts()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(IrisRow.From(iris));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "species")
            .Append(ml.Transforms.Concatenate("Features", IrisFeatures))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        var direct = ml.Data.CreateEnumerable<IrisPrediction>(model.Transform(data), reuseRowObject: false).ToList();
        using var folder = new TempDirectory();

        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"), new ModelPackageOptions { LabelColumnName = "species" });
        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var result = predictor.Predict(iris.DropColumn("species"));

        Assert.Equal("mlnet", predictor.Flavor);
        Assert.Equal(["PredictedLabel", "Score"], result.Outputs.Select(o => o.Name));
        Assert.Equal(direct.Select(p => p.PredictedLabel), result["PredictedLabel"].GetData<long>());
        Assert.Equal(direct.Select(p => p.PredictedLabel.ToString(System.Globalization.CultureInfo.InvariantCulture)), result.GetPredictedLabels());
        Assert.Equal([150L, 3L], result["Score"].Shape);
        Assert.Equal(direct.SelectMany(p => p.Score), result["Score"].GetData<float>());
        Assert.Equal(direct[0].Score.Select(s => (double)s), result.GetClassScores()[0]);

        // The model learned iris: a sanity check that the table reached it column by column.
        Assert.True(result.GetPredictedLabels().Zip(iris.GetStrings("species")).Count(p => p.First == p.Second) > 140);
    }

    [Fact]
    public async Task A_packaged_multiclass_model_has_the_schema_columns_in_its_signature()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(IrisRow.From(iris));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "species")
            .Append(ml.Transforms.Concatenate("Features", IrisFeatures))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        using var folder = new TempDirectory();

        var manifest = new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"), new ModelPackageOptions { LabelColumnName = "species" });
        var reread = ModelManifest.Load(folder.Combine("model"));

        Assert.Equal(
            """[{"type": "float", "name": "sepal_length", "required": true}, {"type": "float", "name": "sepal_width", "required": true}, {"type": "float", "name": "petal_length", "required": true}, {"type": "float", "name": "petal_width", "required": true}, {"type": "long", "name": "species", "required": false}]""",
            reread.Signature!.Inputs!.ToJson());
        Assert.Equal(data.Schema.Select(c => c.Name), reread.Signature.Inputs.Names);
        Assert.Equal(
            """[{"name": "PredictedLabel", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"name": "Score", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]""",
            reread.Signature.Outputs!.ToJson());
        Assert.Equal("model.zip", reread.GetFlavorString("mlnet", "model_path"));
        Assert.Equal(ModelPackager.MlNetVersion, reread.GetFlavorString("mlnet", "mlnet_version"));
        Assert.Matches(@"^5\.\d+\.\d+", ModelPackager.MlNetVersion);
        Assert.Equal("species", reread.GetFlavorString("mlnet", "label_column"));
        Assert.Equal(new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1_234_560), reread.UtcTimeCreated);
        Assert.Equal(new FileInfo(folder.Combine("model", "model.zip")).Length, reread.ModelSizeBytes);
        Assert.Matches("^[0-9a-f]{32}$", manifest.ModelUuid);
    }

    [Fact]
    public async Task A_packaged_fast_forest_regression_predicts_what_the_transformer_predicts()
    {
        var diabetes = await Fixtures.ReadAsync("diabetes.csv");
        var features = diabetes.ColumnNames.Where(n => n != "target").ToArray();
        var rows = DiabetesRow.From(diabetes).Take(80).ToList();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", features)
            .Append(ml.Regression.Trainers.FastForest(labelColumnName: "target", numberOfTrees: 8, numberOfLeaves: 4, minimumExampleCountPerLeaf: 3))
            .Fit(data);
        var direct = ml.Data.CreateEnumerable<RegressionPrediction>(model.Transform(ml.Data.LoadFromEnumerable(DiabetesRow.From(diabetes))), reuseRowObject: false)
            .Select(p => p.Score).ToArray();
        using var folder = new TempDirectory();

        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"));
        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var result = predictor.Predict(diabetes.DropColumn("target"));

        var score = Assert.Single(result.Outputs);
        Assert.Equal("Score", score.Name);
        Assert.Equal(direct, score.GetData<float>());
        Assert.Equal(direct.Select(s => (double)s), result.GetPredictedValues());

        // The target is read by nothing at prediction time, so the signature does not require it.
        var target = Assert.Single(predictor.Signature.Inputs!.Columns, c => c.Name == "target");
        Assert.False(target.Required);
        Assert.Equal("""[{"type": "float", "name": "Score", "required": true}]""", predictor.Signature.Outputs!.ToJson());
    }

    [Fact]
    public async Task A_binary_model_gives_labels_and_two_class_scores_from_its_probability()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var rows = IrisRow.From(iris).Select(r => new BinaryIrisRow { PetalLength = r.PetalLength, PetalWidth = r.PetalWidth, IsSetosa = r.Species == 0 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", "petal_length", "petal_width")
            .Append(ml.BinaryClassification.Trainers.FastTree(labelColumnName: "is_setosa", numberOfTrees: 5, numberOfLeaves: 2, minimumExampleCountPerLeaf: 5))
            .Fit(data);
        using var folder = new TempDirectory();

        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"));
        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var result = predictor.Predict(iris.SelectColumns(["petal_length", "petal_width"]));

        Assert.Equal(["PredictedLabel", "Score", "Probability"], result.Outputs.Select(o => o.Name));
        Assert.Equal(iris.GetStrings("species").Select(s => s == "0" ? "true" : "false"), result.GetPredictedLabels());
        var scores = result.GetClassScores();
        var probability = result["Probability"].GetData<float>();
        Assert.All(Enumerable.Range(0, 150), row => Assert.Equal(new[] { 1 - (double)probability[row], probability[row] }, scores[row]));
    }

    [Fact]
    public async Task A_vector_input_column_is_stacked_from_the_feature_columns()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var rows = IrisRow.From(iris).Select(r => new VectorIrisRow { Features = [r.SepalLength, r.SepalWidth, r.PetalLength, r.PetalWidth], Species = r.Species }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "species")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 20))
            .Fit(data);
        var direct = ml.Data.CreateEnumerable<KeyPrediction>(model.Transform(data), reuseRowObject: false).ToList();
        using var folder = new TempDirectory();

        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"), new ModelPackageOptions { LabelColumnName = "species" });
        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var result = predictor.Predict(iris.DropColumn("species"));

        // A vector column makes the whole input side tensor-based: MLflow does not mix the two kinds.
        Assert.Equal(
            """[{"name": "Features", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}, {"name": "species", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]""",
            predictor.Signature.Inputs!.ToJson());
        Assert.Equal(direct.SelectMany(p => p.Score), result["Score"].GetData<float>());

        // The unmapped PredictedLabel is a key; Keel answers with the key's value, the original class.
        Assert.Equal(iris.GetStrings("species").Take(5), result.GetPredictedLabels().Take(5));
    }

    [Fact]
    public async Task A_missing_feature_column_is_an_error_naming_it()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(IrisRow.From(iris));
        var model = ml.Transforms.Concatenate("Features", IrisFeatures)
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: "sepal_length", featureColumnName: "Features", maximumNumberOfIterations: 5))
            .Fit(data);
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"));
        using var predictor = ModelLoader.Load(folder.Combine("model"));

        var error = Assert.Throws<KeelException>(() => predictor.Predict(iris.DropColumn("petal_width")));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("'petal_width'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predictions_on_several_threads_at_once_agree_with_one_thread()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(IrisRow.From(iris));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "species")
            .Append(ml.Transforms.Concatenate("Features", IrisFeatures))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(data);
        using var folder = new TempDirectory();
        new ModelPackager(Fixtures.Clock).SaveMlNet(ml, model, data.Schema, folder.Combine("model"), new ModelPackageOptions { LabelColumnName = "species" });
        using var predictor = ModelLoader.Load(folder.Combine("model"));
        var table = iris.DropColumn("species");
        var expected = predictor.Predict(table)["Score"].GetData<float>();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => predictor.Predict(table)["Score"].GetData<float>())));

        Assert.All(results, scores => Assert.Equal(expected, scores));
    }

    private sealed class IrisRow
    {
        [ColumnName("sepal_length")]
        public float SepalLength { get; set; }

        [ColumnName("sepal_width")]
        public float SepalWidth { get; set; }

        [ColumnName("petal_length")]
        public float PetalLength { get; set; }

        [ColumnName("petal_width")]
        public float PetalWidth { get; set; }

        [ColumnName("species")]
        public long Species { get; set; }

        public static IEnumerable<IrisRow> From(Table table) =>
            Enumerable.Range(0, table.RowCount).Select(r => new IrisRow
            {
                SepalLength = (float)table["sepal_length"].GetDouble(r),
                SepalWidth = (float)table["sepal_width"].GetDouble(r),
                PetalLength = (float)table["petal_length"].GetDouble(r),
                PetalWidth = (float)table["petal_width"].GetDouble(r),
                Species = (long)table["species"].GetDouble(r),
            });
    }

    private sealed class BinaryIrisRow
    {
        [ColumnName("petal_length")]
        public float PetalLength { get; set; }

        [ColumnName("petal_width")]
        public float PetalWidth { get; set; }

        [ColumnName("is_setosa")]
        public bool IsSetosa { get; set; }
    }

    private sealed class VectorIrisRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        [ColumnName("species")]
        public long Species { get; set; }
    }

    private sealed class DiabetesRow
    {
        [ColumnName("age")]
        public float Age { get; set; }

        [ColumnName("sex")]
        public float Sex { get; set; }

        [ColumnName("bmi")]
        public float Bmi { get; set; }

        [ColumnName("bp")]
        public float Bp { get; set; }

        [ColumnName("s1")]
        public float S1 { get; set; }

        [ColumnName("s2")]
        public float S2 { get; set; }

        [ColumnName("s3")]
        public float S3 { get; set; }

        [ColumnName("s4")]
        public float S4 { get; set; }

        [ColumnName("s5")]
        public float S5 { get; set; }

        [ColumnName("s6")]
        public float S6 { get; set; }

        [ColumnName("target")]
        public float Target { get; set; }

        public static IEnumerable<DiabetesRow> From(Table table) =>
            Enumerable.Range(0, table.RowCount).Select(r => new DiabetesRow
            {
                Age = (float)table["age"].GetDouble(r),
                Sex = (float)table["sex"].GetDouble(r),
                Bmi = (float)table["bmi"].GetDouble(r),
                Bp = (float)table["bp"].GetDouble(r),
                S1 = (float)table["s1"].GetDouble(r),
                S2 = (float)table["s2"].GetDouble(r),
                S3 = (float)table["s3"].GetDouble(r),
                S4 = (float)table["s4"].GetDouble(r),
                S5 = (float)table["s5"].GetDouble(r),
                S6 = (float)table["s6"].GetDouble(r),
                Target = (float)table["target"].GetDouble(r),
            });
    }

    private sealed class IrisPrediction
    {
        public long PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }

    private sealed class KeyPrediction
    {
        public float[] Score { get; set; } = [];
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }
}
