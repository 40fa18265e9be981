using System.Globalization;
using System.Text;
using Keel.Core.Errors;
using Keel.Serving.Batch;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;

namespace Keel.Serving.Tests.Batch;

/// <summary>Batch scoring end to end over real ONNX Runtime sessions and real files.</summary>
public sealed class BatchScorerTests : IDisposable
{
    private static readonly ModelLoadOptions OneThread = new() { OnnxIntraOpThreads = 1 };

    private readonly BatchFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Package(string onnx)
    {
        var folder = _files.Path(Path.GetFileNameWithoutExtension(onnx));
        if (!Directory.Exists(folder))
        {
            new ModelPackager(Fixtures.Clock).SaveOnnx(Fixtures.Path(onnx), folder);
        }

        return folder;
    }

    [Theory]
    [InlineData("out.parquet")]
    [InlineData("out.csv")]
    [InlineData("out.jsonl")]
    public async Task Iris_predictions_equal_the_unbatched_predict_in_every_output_format(string output)
    {
        using var predictor = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);
        var iris = await Fixtures.ReadAsync("iris.csv");
        var expected = predictor.Predict(iris.DropColumn("species"));
        var path = _files.Path(output);

        var result = await BatchScorer.ScoreFileAsync(predictor, Fixtures.Path("iris.csv"), path,
            new BatchScoringOptions { IdColumn = "species", BatchSize = 16, Workers = 2 });

        string[] columns = ["species", "label", "probabilities_0", "probabilities_1", "probabilities_2"];
        Assert.Equal(150, result.Rows);
        Assert.Equal(columns, result.Columns);
        var written = output.EndsWith(".jsonl", StringComparison.Ordinal)
            ? Assert.Single(await BatchFiles.ReadChunksAsync(path, 1000)).Table
            : await TableReader.ReadAsync(path);
        Assert.Equal(columns, written.ColumnNames);
        Assert.Equal(iris.GetStrings("species"), written.GetStrings("species"));
        Assert.Equal(expected.GetPredictedLabels(), written.GetStrings("label"));
        var scores = expected.GetClassScores();
        for (var k = 0; k < 3; k++)
        {
            // Probabilities are float32: text formats write each float's own shortest form.
            Assert.Equal(scores.Select(s => (float)s[k]), written.GetDoubles($"probabilities_{k}").Select(d => (float)d));
        }
    }

    [Fact]
    public async Task Rows_keep_their_input_order_when_chunks_finish_out_of_order()
    {
        using var onnx = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);
        using var predictor = new UnevenPredictor(onnx);
        var rows = new StringBuilder("row,sepal_length,sepal_width,petal_length,petal_width\n");
        var iris = (await Fixtures.ReadAsync("iris.csv")).DropColumn("species");
        for (var i = 0; i < 1_000; i++)
        {
            var r = i % 150;
            rows.Append(CultureInfo.InvariantCulture, $"{i},{string.Join(',', iris.Columns.Select(c => Column.Format(c.GetDouble(r))))}\n");
        }

        var input = _files.Write("rows.csv", rows.ToString());
        var reported = new List<BatchProgress>();

        var result = await BatchScorer.ScoreFileAsync(predictor, input, _files.Path("rows.parquet"), new BatchScoringOptions
        {
            IdColumn = "row",
            BatchSize = 7,
            Workers = 4,
            Progress = new Collect(reported),
        });

        var written = await TableReader.ReadAsync(_files.Path("rows.parquet"));
        var expected = onnx.Predict(iris).GetPredictedLabels();
        Assert.True(predictor.FinishedOutOfOrder, "The test should have made a later chunk finish before an earlier one.");
        Assert.Equal(1_000, result.Rows);
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), ((Int64Column)written["row"]).Values);
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => expected[i % 150]), written.GetStrings("label"));
        Assert.Equal(143, reported.Count);
        Assert.Equal(reported.Select(p => p.Rows).Order(), reported.Select(p => p.Rows));
        Assert.Equal((1_000L, 1.0), (reported[^1].Rows, reported[^1].Fraction));
    }

    [Fact]
    public async Task Chunks_larger_than_a_prediction_slice_predict_like_the_whole_table()
    {
        // 4,500-row chunks are predicted 2,048 rows at a time (4 features): the slices' outputs
        // must land in the right rows of the chunk's columns.
        using var predictor = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);
        var iris = (await Fixtures.ReadAsync("iris.csv")).DropColumn("species");
        var rows = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width\n");
        var random = new Random(3);
        for (var i = 0; i < 5_000; i++)
        {
            var r = random.Next(150);
            rows.Append(CultureInfo.InvariantCulture, $"{string.Join(',', iris.Columns.Select(c => Column.Format(c.GetDouble(r))))}\n");
        }

        var input = _files.Write("many.csv", rows.ToString());
        var whole = predictor.Predict(await TableReader.ReadAsync(input));

        await BatchScorer.ScoreFileAsync(predictor, input, _files.Path("many.parquet"), new BatchScoringOptions { BatchSize = 4_500 });

        var written = await TableReader.ReadAsync(_files.Path("many.parquet"));
        Assert.Equal(whole.GetPredictedLabels(), written.GetStrings("label"));
        var scores = whole.GetClassScores();
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(scores.Select(s => s[k]), written.GetDoubles($"probabilities_{k}"));
        }
    }

    [Fact]
    public async Task A_model_with_named_inputs_reads_them_by_name_and_carries_every_other_column()
    {
        using var predictor = ModelLoader.Load(Package("diabetes_linear.onnx"), OneThread);
        var expected = (await Fixtures.ReadAsync("diabetes_linear_expected.csv")).GetDoubles("prediction");
        var diabetes = await Fixtures.ReadAsync("diabetes.csv");

        var result = await BatchScorer.ScoreFileAsync(predictor, Fixtures.Path("diabetes.csv"), _files.Path("scored.csv"), new BatchScoringOptions { BatchSize = 100 });

        var written = await TableReader.ReadAsync(_files.Path("scored.csv"));
        Assert.Equal([.. diabetes.ColumnNames, "prediction"], written.ColumnNames);
        Assert.Equal(diabetes.GetDoubles("target"), written.GetDoubles("target"));
        Assert.Equal(diabetes.RowCount, result.Rows);
        var predicted = written.GetDoubles("prediction");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(Math.Abs(predicted[i] - expected[i]), 0, 1e-4);
        }
    }

    [Fact]
    public async Task Columns_the_signature_requires_are_named_when_the_file_lacks_them()
    {
        using var predictor = ModelLoader.Load(Package("diabetes_linear.onnx"), OneThread);
        var input = _files.Write("partial.csv", "age,sex,bp,s1,s2,s3,s4,s5,s6\n0,0,0,0,0,0,0,0,0\n");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchScorer.ScoreFileAsync(predictor, input, _files.Path("out.csv")));

        Assert.Equal(
            $"CSV file '{input}' lacks the column 'bmi' that the model takes as input; its columns are: 'age', 'sex', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'.",
            error.Message);
        Assert.False(File.Exists(_files.Path("out.csv")));
    }

    [Fact]
    public async Task A_one_tensor_model_given_more_columns_than_features_says_to_name_an_id_column()
    {
        using var predictor = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);

        var error = await Assert.ThrowsAsync<KeelException>(() =>
            BatchScorer.ScoreFileAsync(predictor, Fixtures.Path("iris.csv"), _files.Path("out.csv")));

        Assert.StartsWith(
            $"The model takes 4 feature columns (input 'input', shape [-1, 4]) but CSV file '{Fixtures.Path("iris.csv")}' has 5: 'sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'.",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("--id-column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_deep_in_the_file_fails_with_its_line_and_column_and_leaves_no_output()
    {
        using var predictor = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);
        var text = new StringBuilder("id,sepal_length,sepal_width,petal_length,petal_width\n");
        for (var i = 0; i < 500; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},5.1,{(i == 321 ? "n/a" : "3.5")},1.4,0.2\n");
        }

        var input = _files.Write("bad.csv", text.ToString());
        var output = _files.Write("out.parquet", "previous run");

        var error = await Assert.ThrowsAsync<KeelException>(() => BatchScorer.ScoreFileAsync(predictor, input, output,
            new BatchScoringOptions { IdColumn = "id", BatchSize = 50 }));

        Assert.Equal(
            $"CSV file '{input}' line 323, column 'sepal_width': 'n/a' is not a number (the model takes this column as an input).",
            error.Message);
        Assert.Equal("previous run", await File.ReadAllTextAsync(output));
        Assert.Equal(2, Directory.GetFiles(Path.GetDirectoryName(output)!).Length);
    }

    [Fact]
    public async Task An_input_column_named_like_a_prediction_is_an_error_and_so_is_an_empty_file()
    {
        using var predictor = ModelLoader.Load(Package("diabetes_linear.onnx"), OneThread);
        var header = "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,prediction\n";
        var clash = _files.Write("clash.csv", header + "0,0,0,0,0,0,0,0,0,0,1\n");
        var empty = _files.Write("empty.csv", header);

        var clashError = await Assert.ThrowsAsync<KeelException>(() => BatchScorer.ScoreFileAsync(predictor, clash, _files.Path("a.csv")));
        var emptyError = await Assert.ThrowsAsync<KeelException>(() => BatchScorer.ScoreFileAsync(predictor, empty, _files.Path("b.csv")));
        var sameError = await Assert.ThrowsAsync<KeelException>(() => BatchScorer.ScoreFileAsync(predictor, clash, clash));

        Assert.Contains("has a column named 'prediction', like the model's prediction column", clashError.Message, StringComparison.Ordinal);
        Assert.Equal($"CSV file '{empty}' has no data rows; there is nothing to score.", emptyError.Message);
        Assert.Contains("is the input file", sameError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parquet_and_json_lines_inputs_score_like_csv()
    {
        using var predictor = ModelLoader.Load(Package("iris_forest.onnx"), OneThread);
        var options = new BatchScoringOptions { IdColumn = "species", BatchSize = 40 };
        await BatchScorer.ScoreFileAsync(predictor, Fixtures.Path("iris.csv"), _files.Path("from-csv.csv"), options);

        // The CSV's rows as Parquet and as JSON lines, written by the batch writers themselves.
        var iris = await Fixtures.ReadAsync("iris.csv");
        foreach (var name in new[] { "iris.parquet", "iris.jsonl" })
        {
            await using var writer = TableChunkWriter.Create(_files.Path(name));
            await writer.WriteAsync(iris);
            await writer.CompleteAsync();
        }

        await BatchScorer.ScoreFileAsync(predictor, _files.Path("iris.parquet"), _files.Path("from-parquet.csv"), options);
        await BatchScorer.ScoreFileAsync(predictor, _files.Path("iris.jsonl"), _files.Path("from-jsonl.csv"), options);

        var fromCsv = await File.ReadAllTextAsync(_files.Path("from-csv.csv"));
        Assert.Equal(fromCsv, await File.ReadAllTextAsync(_files.Path("from-parquet.csv")));
        Assert.Equal(fromCsv, await File.ReadAllTextAsync(_files.Path("from-jsonl.csv")));
    }

    /// <summary>The real predictor, but the first call waits until a later one has finished, so chunks finish out of order.</summary>
    private sealed class UnevenPredictor(IPredictor inner) : IPredictor
    {
        private readonly ManualResetEventSlim _laterFinished = new();
        private int _started;

        public bool FinishedOutOfOrder { get; private set; }

        public string Flavor => inner.Flavor;

        public ModelManifest Manifest => inner.Manifest;

        public ModelSignature Signature => inner.Signature;

        public PredictionResult Predict(Table input)
        {
            var first = Interlocked.Increment(ref _started) == 1;
            if (first)
            {
                // The wait blocks a pool thread; the pool adds one if the others need it.
                FinishedOutOfOrder = _laterFinished.Wait(TimeSpan.FromSeconds(30));
            }

            var result = inner.Predict(input);
            if (!first)
            {
                _laterFinished.Set();
            }

            return result;
        }

        public void Dispose() => _laterFinished.Dispose();
    }

    private sealed class Collect(List<BatchProgress> reported) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => reported.Add(value);
    }
}
