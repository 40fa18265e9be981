using System.Net;
using System.Text;
using System.Text.Json;
using Keel.Client;
using Keel.Core.Deployments;
using Keel.Core.Monitoring;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;
using Keel.Server.Tests.Deployments;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Server.Tests.Monitoring;

/// <summary>
/// A monitor over a real deployment: iris traffic through /invocations, ground truth posted later
/// by request id, windows computed against the training dataset's profile, drift once the traffic
/// moves, the time series, Prometheus gauges, and bad input.
/// </summary>
public sealed class MonitorTests
{
    [Fact]
    public async Task A_monitor_measures_drift_and_quality_of_a_deployment_against_its_reference_dataset()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.AddDatasetVersionAsync("iris-train", RepositoryFiles.SharedFixture("iris.csv"));
        await f.Client.CreateDeploymentAsync("watched", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        var iris = await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"));

        // First window: the training rows themselves, five per request, labels posted afterwards.
        var labels = new List<FeedbackItem>();
        for (var start = 0; start < 150; start += 5)
        {
            var id = $"calm-{start}";
            await ScoreAsync(f, id, iris, start, 5, shift: 0);
            labels.Add(new FeedbackItem(id, JsonSerializer.Serialize(Enumerable.Range(start, 5).Select(r => (long)iris["species"].GetDouble(r)))));
        }

        await WaitForLogAsync(f, "watched", 30);
        var feedback = await f.Client.LogFeedbackAsync([.. labels, new FeedbackItem("never-logged", "1"), labels[0]]);
        Assert.Equal(30, feedback.Accepted);
        Assert.Equal(1, feedback.Unknown);
        Assert.Equal(["never-logged"], feedback.UnknownRequestIds);
        Assert.Equal(1, feedback.Replaced);

        var spec = new MonitorSpec { Deployment = "watched", Reference = new MonitorReference { Dataset = "iris-train", Target = "species" }, ScheduleSeconds = 0 };
        await f.Client.CreateMonitorAsync("iris-watch", spec);
        var calm = await f.Client.RunMonitorAsync("iris-watch");
        Assert.Equal(150, calm.Window!.Rows);
        Assert.Equal(150, calm.Window.RowsWithActual);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width"], calm.DataDrift.Features.Select(x => x.Name));
        Assert.False(calm.DataDrift.DatasetDrift);
        Assert.All(calm.DataDrift.Features, x => Assert.True(x.FromProfile));
        Assert.Equal(("label", "categorical", false), (calm.PredictionDrift!.Name, calm.PredictionDrift.Kind, calm.PredictionDrift.Drifted)); // 3 labels: categories
        Assert.Equal(0, calm.TargetDrift!.JensenShannon!.Value, 9); // the labels are the training labels
        Assert.Contains("'species'", calm.PredictionDrift.Note, StringComparison.Ordinal);
        Assert.Equal("classification", calm.Quality!.Task);
        Assert.Equal(1.0, calm.Quality.Current!["accuracy"], 9); // the forest was trained on all of iris
        Assert.Equal(1.0, calm.Quality.Current["roc_auc_ovr_macro"], 9); // from the probabilities output, classes 0, 1, 2
        Assert.InRange(calm.Quality.Current["log_loss"], 0, 0.2);
        Assert.Equal(1.0, calm.PerformanceEstimate!.RealizedAccuracy!.Value, 9);
        Assert.InRange(calm.PerformanceEstimate.EstimatedAccuracy, 0.8, 1.0);
        Assert.All(calm.DataQuality!, q => Assert.Equal(0, q.OutOfRangeShare!.Value));

        // Second window: the same rows with petal length shifted by 3 cm, no labels yet.
        var firstEnd = calm.Window.End;
        for (var start = 0; start < 150; start += 5)
        {
            await ScoreAsync(f, $"moved-{start}", iris, start, 5, shift: 3);
        }

        await WaitForLogAsync(f, "watched", 60);
        var moved = await f.Client.RunMonitorAsync("iris-watch", TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() + 1);
        Assert.Equal(300, moved.Window!.Rows);
        var petal = moved.DataDrift["petal_length"]!;
        Assert.True(petal.Drifted, $"petal_length {petal.Method} {petal.Statistic}");
        Assert.False(moved.DataDrift["sepal_width"]!.Drifted);
        Assert.True(moved.PredictionDrift!.Drifted, $"prediction drift {moved.PredictionDrift.Method} {moved.PredictionDrift.Statistic}");
        Assert.True(moved.DataQuality!.Single(q => q.Name == "petal_length").OutOfRangeShare > 0.1);
        Assert.Equal(150, moved.Window.RowsWithActual); // the calm half still has its labels

        var series = await f.Client.GetMonitorMetricsAsync("iris-watch", "petal_length", DriftMethods.Wasserstein + "_normed");
        Assert.Equal(2, series.Count);
        Assert.True(series[1].Value > series[0].Value);
        var results = await f.Client.GetMonitorResultsAsync("iris-watch");
        Assert.Equal(2, results.Count);
        Assert.Equal(firstEnd, results[1].WindowEnd);
        var stored = await f.Client.GetMonitorReportAsync("iris-watch", firstEnd);
        Assert.Equal(calm.DataDrift.DriftShare, stored.DataDrift.DriftShare);

        var html = await f.Http.GetStringAsync("/api/2.0/keel/monitors/report?name=iris-watch&format=html");
        Assert.Contains("petal_length", html, StringComparison.Ordinal);
        Assert.Contains("Estimated accuracy (CBPE)", html, StringComparison.Ordinal);
        Assert.Contains("Window of monitor <b>iris-watch</b>", html, StringComparison.Ordinal);
        var metrics = await f.Http.GetStringAsync("/metrics");
        Assert.Contains("keel_monitor_feature_drifted{monitor=\"iris-watch\",deployment=\"watched\",feature=\"petal_length\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("keel_monitor_quality{monitor=\"iris-watch\",deployment=\"watched\",metric=\"estimated_accuracy\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_monitors_and_feedback_get_errors_that_name_the_field()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        var missing = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.CreateMonitorAsync("m",
            new MonitorSpec { Deployment = "d", Reference = new MonitorReference { Dataset = "no-such-data" } }));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatus);

        var method = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.CreateMonitorAsync("m",
            new MonitorSpec { Deployment = "d", Reference = new MonitorReference { Dataset = "x" }, Drift = new DriftOptions { NumericalMethod = "chi_square" } }));
        Assert.Contains("drift.numerical_method", method.Message, StringComparison.Ordinal);

        var window = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.CreateMonitorAsync("m",
            new MonitorSpec { Deployment = "d", Reference = new MonitorReference { Dataset = "x" }, WindowSeconds = 60, WindowRequests = 10 }));
        Assert.Contains("window_seconds", window.Message, StringComparison.Ordinal);

        using var empty = await f.Http.PostAsync("/api/2.0/keel/feedback", new StringContent("""{"feedback": [{"request_id": "", "actual": 1}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("feedback[0].request_id", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var shape = await f.Http.PostAsync("/api/2.0/keel/feedback", new StringContent("""{"feedback": [{"request_id": "a"}]}""", Encoding.UTF8, "application/json"));
        Assert.Contains("INVALID_PARAMETER_VALUE", await shape.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.RunMonitorAsync("absent"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.HttpStatus);
    }

    [Fact]
    public async Task A_tabular_run_artifact_can_be_the_reference()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("artifacted", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        string runId;
        await using (var run = await f.Client.StartRunAsync("reference-files"))
        {
            runId = run.RunId;
            await f.Client.LogArtifactAsync(runId, RepositoryFiles.SharedFixture("iris.csv"), "data");
        }

        Assert.Equal(200, (await f.InvokeAsync("artifacted")).Status);
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.SearchInferenceLogAsync("artifacted")).Count == 1));
        var spec = new MonitorSpec { Deployment = "artifacted", Reference = new MonitorReference { Artifact = $"runs:/{runId}/data/iris.csv", Target = "species" }, ScheduleSeconds = 0 };
        await f.Client.CreateMonitorAsync("from-artifact", spec);
        var report = await f.Client.RunMonitorAsync("from-artifact");
        Assert.Equal($"runs:/{runId}/data/iris.csv", report.Reference);
        Assert.Equal(4, report.DataDrift.FeatureCount);
        Assert.Equal(150, report.DataDrift.ReferenceRows);

        var missing = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.CreateMonitorAsync("no-file",
            spec with { Reference = new MonitorReference { Artifact = $"runs:/{runId}/data/absent.csv" } }));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatus);
    }

    [Fact]
    public async Task Training_data_is_the_dataset_version_the_model_s_run_recorded_as_its_input()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 0);
        var added = await f.Client.AddDatasetVersionAsync("iris-training", RepositoryFiles.SharedFixture("iris.csv"));
        await using (var run = await f.Client.StartRunAsync("trained"))
        {
            await f.Client.LogDatasetInputAsync(run.RunId, "iris-training", context: "training");
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new Keel.Client.Models.LogModelOptions { RegisteredModelName = "iris-trained" });
        }

        await f.Client.CreateDeploymentAsync("trained", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris-trained/1", 100)));
        var monitor = await f.Client.CreateMonitorAsync("from-training", new MonitorSpec { Deployment = "trained", Reference = new MonitorReference { TrainingData = true }, ScheduleSeconds = 0 });
        var report = await f.Client.RunMonitorAsync(monitor.Name);
        Assert.StartsWith($"iris-training@{added.Version.Id}", report.Reference, StringComparison.Ordinal);

        // A model whose run recorded no dataset: the error says what to do instead.
        await f.RegisterAsync("iris-untracked", "iris_forest.onnx", 1);
        await f.Client.CreateDeploymentAsync("untracked", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris-untracked/1", 100)));
        var error = await Assert.ThrowsAsync<KeelApiException>(() => f.Client.CreateMonitorAsync("no-training",
            new MonitorSpec { Deployment = "untracked", Reference = new MonitorReference { TrainingData = true } }));
        Assert.Contains("recorded no Keel dataset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_regression_deployment_gets_rmse_and_r2_from_numeric_feedback()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 0);
        await f.RegisterAsync("diabetes", "diabetes_linear.onnx", 1);
        await f.Client.AddDatasetVersionAsync("diabetes-train", RepositoryFiles.SharedFixture("diabetes.csv"));
        await f.Client.CreateDeploymentAsync("sugar", DeploymentFixture.Spec(new RouteSpec("primary", "models:/diabetes/1", 100)));
        var table = await TableReader.ReadAsync(RepositoryFiles.SharedFixture("diabetes.csv"));
        var features = table.ColumnNames.Where(c => c != "target").ToArray();
        var labels = new List<FeedbackItem>();
        for (var start = 0; start < 200; start += 10)
        {
            var rows = Enumerable.Range(start, 10).Select(r => features.ToDictionary(c => c, c => table[c].GetDouble(r))).ToArray();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/deployments/sugar/invocations")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { dataframe_records = rows }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Request-Id", $"sugar-{start}");
            using var response = await f.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            labels.Add(new FeedbackItem($"sugar-{start}", JsonSerializer.Serialize(Enumerable.Range(start, 10).Select(r => table["target"].GetDouble(r)))));
        }

        await WaitForLogAsync(f, "sugar", 20);
        Assert.Equal(20, (await f.Client.LogFeedbackAsync(labels)).Accepted);
        await f.Client.CreateMonitorAsync("sugar-watch", new MonitorSpec { Deployment = "sugar", Reference = new MonitorReference { Dataset = "diabetes-train", Target = "target" }, ScheduleSeconds = 0 });
        var report = await f.Client.RunMonitorAsync("sugar-watch");
        Assert.Equal(200, report.Window!.RowsWithActual);
        Assert.Equal("regression", report.Quality!.Task);
        Assert.InRange(report.Quality.Current!["rmse"], 40, 70); // a linear model on diabetes: RMSE about 53
        Assert.InRange(report.Quality.Current["r2"], 0.3, 0.7);
        Assert.Equal(10, report.DataDrift.FeatureCount);
        Assert.NotNull(report.PredictionDrift); // against the reference's target column
        Assert.Null(report.PerformanceEstimate); // no probabilities
    }

    [Fact]
    public async Task The_scheduler_runs_a_due_monitor_once_and_evaluates_alert_rules_on_its_own()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1, o => o.MonitorTickSeconds = 0.2);
        await f.Client.AddDatasetVersionAsync("iris-train", RepositoryFiles.SharedFixture("iris.csv"));
        await f.Client.CreateDeploymentAsync("scheduled", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        Assert.Equal(200, (await f.InvokeAsync("scheduled")).Status);
        await WaitForLogAsync(f, "scheduled", 1);
        await f.Client.CreateAlertRuleAsync("scheduled-rows", new Keel.Monitoring.Alerts.AlertRuleSpec
        {
            Monitor = "every-minute",
            Metric = "rows",
            Comparison = ">=",
            Threshold = 1,
        });
        await f.Client.CreateMonitorAsync("every-minute", new MonitorSpec { Deployment = "scheduled", Reference = new MonitorReference { Dataset = "iris-train" }, ScheduleSeconds = 60 });

        // The first tick after creation runs it (it never ran); the next ticks leave it until a minute has passed.
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.GetMonitorResultsAsync("every-minute")).Count == 1));
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.GetAlertEventsAsync("scheduled-rows")).Count == 1));
        await Task.Delay(1_000);
        Assert.Single(await f.Client.GetMonitorResultsAsync("every-minute"));
        var rule = await f.Client.GetAlertRuleAsync("scheduled-rows");
        Assert.Equal(("firing", 2.0), (rule.State, rule.LastValue!.Value));
        Assert.Contains("keel_monitor_window_rows{monitor=\"every-minute\",deployment=\"scheduled\"} 2", await f.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_with_no_traffic_gives_an_empty_report_not_an_error()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.AddDatasetVersionAsync("iris-train", RepositoryFiles.SharedFixture("iris.csv"));
        await f.Client.CreateDeploymentAsync("quiet", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        await f.Client.CreateMonitorAsync("quiet-watch", new MonitorSpec { Deployment = "quiet", Reference = new MonitorReference { Dataset = "iris-train" }, ScheduleSeconds = 0 });
        var report = await f.Client.RunMonitorAsync("quiet-watch");
        Assert.Equal(0, report.Window!.Rows);
        Assert.False(report.DataDrift.DatasetDrift);
        Assert.Null(report.Quality);
    }

    /// <summary>Scores rows [start, start + count) of iris (petal length + <paramref name="shift"/>) under a chosen request id.</summary>
    private static async Task ScoreAsync(DeploymentFixture f, string requestId, Table iris, int start, int count, double shift)
    {
        var features = new[] { "sepal_length", "sepal_width", "petal_length", "petal_width" };
        var rows = Enumerable.Range(start, count).Select(r => features.ToDictionary(c => c, c => iris[c].GetDouble(r) + (c == "petal_length" ? shift : 0))).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/deployments/watched/invocations")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { dataframe_records = rows }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await f.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task WaitForLogAsync(DeploymentFixture f, string deployment, int count) =>
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.SearchInferenceLogAsync(deployment, null, 1000)).Count >= count));
}
