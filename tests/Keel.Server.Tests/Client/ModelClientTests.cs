using System.Globalization;
using Keel.Client;
using Keel.Client.Models;
using Keel.Core.Errors;
using Keel.Monitoring.Quality;
using Keel.Tabular;
using Keel.Testing;
using Microsoft.ML;


namespace Keel.Server.Tests.Client;

/// <summary>Logging, registering, loading (with the cache) and evaluating models through Keel.Client against a real server.</summary>
public sealed class ModelClientTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>, IDisposable
{
    private readonly TempDirectory _cache = new();

    private KeelModelOptions CacheOptions => new() { CacheDirectory = _cache.Path };

    public void Dispose() => _cache.Dispose();

    private static async Task<string[]> ReadColumnAsync(string fixture, string column)
    {
        var table = await TableReader.ReadAsync(RepositoryFiles.SharedFixture(fixture));
        return [.. table.GetStrings(column).Select(s => s!)];
    }

    [Fact]
    public async Task An_onnx_model_logged_and_registered_loads_by_alias_predicts_iris_and_comes_from_the_cache_the_second_time()
    {
        var (client, counter) = fixture.CreateCountingClient();
        using var _ = client;
        var name = SharedKeelServer.UniqueName("iris-onnx");
        LoggedModel logged;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("models")))
        {
            logged = await client.LogOnnxModelAsync(run.RunId, RepositoryFiles.SharedFixture("iris_forest.onnx"), "model",
                new LogModelOptions { RegisteredModelName = name });
        }

        Assert.Equal("1", logged.RegisteredVersion?.Version);
        Assert.Equal("onnx", logged.Flavor);
        Assert.Contains("float32", logged.SignatureInputs, StringComparison.Ordinal);
        var history = (await client.GetRunAsync(logged.RunId)).Data.Tags["mlflow.log-model.history"];
        Assert.Contains("\"artifact_path\": \"model\"", history, StringComparison.Ordinal);
        await client.SetRegisteredModelAliasAsync(name, "champion", "1");

        using (var model = await client.LoadModelAsync($"models:/{name}@champion", CacheOptions))
        {
            var iris = (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"))).DropColumn("species");
            var labels = model.Predict(iris).GetPredictedLabels();
            Assert.Equal(await ReadColumnAsync("iris_forest_expected.csv", "label"), labels);
            Assert.Equal("onnx", model.Flavor);
            Assert.Equal(64, model.ContentHash.Length);
        }

        // The file's path was requested twice: the upload (PUT) and the first load's download (GET).
        var downloads = counter.Count("/model.onnx");
        Assert.Equal(2, downloads);
        using (var again = await client.LoadModelAsync($"models:/{name}/1", CacheOptions))
        {
            Assert.Equal(downloads, counter.Count("/model.onnx"));
            Assert.StartsWith(_cache.Path, again.LocalPath, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Evaluating_the_iris_forest_logs_the_same_metrics_the_quality_module_computes_from_the_expected_labels()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("iris-eval");
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("models")))
        {
            await client.LogOnnxModelAsync(run.RunId, RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = name });
        }

        var evaluation = await client.EvaluateModelAsync($"models:/{name}/1", RepositoryFiles.SharedFixture("iris.csv"), "species",
            new EvaluateOptions { ModelOptions = CacheOptions });

        Assert.Equal(EvaluationTask.Classification, evaluation.Task);
        Assert.Equal(150, evaluation.RowCount);
        var expected = ClassificationMetrics.Evaluate(
            await ReadColumnAsync("iris.csv", "species"), await ReadColumnAsync("iris_forest_expected.csv", "label"));
        Assert.Equal(expected.Accuracy, evaluation.Metrics["accuracy"], 12);
        Assert.Equal(expected.Macro.F1, evaluation.Metrics["f1_macro"], 12);
        Assert.True(evaluation.Metrics.ContainsKey("roc_auc_ovr_macro"));
        Assert.True(evaluation.Metrics.ContainsKey("log_loss"));
        Assert.Equal(["0", "1", "2"], evaluation.Classes);
        Assert.Equal(150, evaluation.ConfusionMatrix!.Sum(r => r.Sum()));

        var logged = await client.GetRunAsync(evaluation.RunId!);
        Assert.Equal(evaluation.Metrics["accuracy"], logged.Data.Metrics["accuracy"].Value, 12);
        Assert.Equal(RunStatus.Finished, logged.Info.Status);
        Assert.Contains(await client.ListArtifactsAsync(evaluation.RunId!, "evaluation"), f => f.Path == "evaluation/confusion_matrix.json");
    }

    [Fact]
    public async Task Evaluating_the_diabetes_regression_gives_rmse_mae_r2_and_mape_of_the_expected_predictions()
    {
        using var client = new KeelClient(fixture.BaseUri);
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("models")))
        {
            runId = run.RunId;
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("diabetes_linear.onnx"));
        }

        var evaluation = await client.EvaluateModelAsync($"runs:/{runId}/model", RepositoryFiles.SharedFixture("diabetes.csv"), "target",
            new EvaluateOptions { RunId = runId, ModelOptions = CacheOptions });

        Assert.Equal(EvaluationTask.Regression, evaluation.Task);
        var truth = (await ReadColumnAsync("diabetes.csv", "target")).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
        var predicted = (await ReadColumnAsync("diabetes_linear_expected.csv", "prediction")).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
        var expected = RegressionMetrics.Evaluate(truth, predicted);
        Assert.Equal(expected.Rmse, evaluation.Metrics["rmse"], 3);
        Assert.Equal(expected.Mae, evaluation.Metrics["mae"], 3);
        Assert.Equal(expected.R2!.Value, evaluation.Metrics["r2"], 5);
        Assert.Equal(expected.Mape, evaluation.Metrics["mape"], 5);
        Assert.Equal(evaluation.Metrics["rmse"], (await client.GetRunAsync(runId)).Data.Metrics["rmse"].Value, 9);
    }

    [Fact]
    public async Task An_mlnet_model_logged_from_a_transformer_predicts_after_loading_what_the_transformer_predicts()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 60).Select(i => new HouseRow { Size = i, Rooms = i % 5, Price = (3 * i) + (10 * (i % 5)) + 7 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Concatenate("Features", nameof(HouseRow.Size), nameof(HouseRow.Rooms))
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: nameof(HouseRow.Price), maximumNumberOfIterations: 200));
        var model = pipeline.Fit(data);
        var name = SharedKeelServer.UniqueName("houses");
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("models")))
        {
            var logged = await client.LogModelAsync(run.RunId, ml, model, data.Schema, "model",
                new LogModelOptions { RegisteredModelName = name, LabelColumnName = nameof(HouseRow.Price) });
            Assert.Equal("mlnet", logged.Flavor);
        }

        using var loaded = await client.LoadModelAsync($"models:/{name}/latest", CacheOptions);
        var input = new Table(Column.Create("Size", new float[] { 3, 40 }), Column.Create("Rooms", new float[] { 1, 2 }));
        var predicted = loaded.Predict(input).GetPredictedValues();
        var scored = model.Transform(ml.Data.LoadFromEnumerable(new[] { new HouseRow { Size = 3, Rooms = 1 }, new HouseRow { Size = 40, Rooms = 2 } }));
        var direct = ml.Data.CreateEnumerable<HouseScore>(scored, reuseRowObject: false).Select(r => r.Score).ToArray();
        Assert.Equal(direct[0], predicted[0], 4);
        Assert.Equal(direct[1], predicted[1], 4);
    }

    [Fact]
    public async Task A_python_only_model_is_stored_and_downloadable_but_loading_it_names_the_flavor_and_suggests_onnx()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("sklearn");
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("models")))
        {
            runId = run.RunId;
            await client.UploadArtifactAsync(runId, "model/MLmodel", new MemoryStream(
                """
                artifact_path: model
                flavors:
                  python_function:
                    loader_module: mlflow.sklearn
                    model_path: model.pkl
                    python_version: 3.11.7
                  sklearn:
                    pickled_model: model.pkl
                    serialization_format: cloudpickle
                    sklearn_version: 1.2.1
                mlflow_version: 2.9.2
                """u8.ToArray()));
            await client.UploadArtifactAsync(runId, "model/model.pkl", new MemoryStream([0x80, 0x04, 0x95]));
        }

        await client.RegisterModelAsync(name, $"runs:/{runId}/model");
        using var target = new TempDirectory();
        Assert.Equal(["MLmodel", "model.pkl"], await client.DownloadModelAsync($"models:/{name}/1", target.Path));
        var error = await Assert.ThrowsAsync<KeelException>(() => client.LoadModelAsync($"models:/{name}/1", CacheOptions));
        Assert.Contains("sklearn", error.Message, StringComparison.Ordinal);
        Assert.Contains("ONNX", error.Message, StringComparison.Ordinal);
    }

    private sealed class HouseScore
    {
        public float Score { get; set; }
    }

    private sealed class HouseRow
    {
        public float Size { get; set; }

        public float Rooms { get; set; }

        public float Price { get; set; }
    }
}
