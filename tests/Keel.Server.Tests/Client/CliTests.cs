using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Keel.Client;
using Keel.Client.Models;
using Keel.Testing;

namespace Keel.Server.Tests.Client;

/// <summary>
/// The client commands of the `keel` CLI, run as a user runs them: through the `./keel` launcher
/// (which builds the CLI once), against a real server.
/// </summary>
public sealed class CliTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    // The first call may build the CLI in Release.
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Runs_search_json_prints_the_matching_runs_in_order()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experiment = SharedKeelServer.UniqueName("cli");
        var experimentId = await client.CreateExperimentAsync(experiment);
        var runIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await using var run = await client.StartRunAsync(experimentId, runName: $"r{i}");
            await run.LogParamAsync("model", i == 1 ? "linear" : "tree");
            run.LogMetric("acc", 0.5 + (0.1 * i));
            runIds.Add(run.RunId);
        }

        var result = await RunKeelAsync(
            "runs", "search", "--experiment", experiment, "--filter", "params.model = 'tree'",
            "--order-by", "metrics.acc DESC", "--order-by", "attributes.start_time ASC", "--max-results", "10", "--json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
        using var json = JsonDocument.Parse(result.Stdout);
        var runs = json.RootElement.EnumerateArray().ToList();
        Assert.Equal([runIds[2], runIds[0]], runs.Select(r => r.GetProperty("info").GetProperty("run_id").GetString()));
        var first = runs[0];
        Assert.Equal("FINISHED", first.GetProperty("info").GetProperty("status").GetString());
        Assert.Equal(experimentId, first.GetProperty("info").GetProperty("experiment_id").GetString());
        Assert.Equal("tree", first.GetProperty("data").GetProperty("params").GetProperty("model").GetString());
        Assert.Equal(0.7, first.GetProperty("data").GetProperty("metrics").GetProperty("acc").GetProperty("value").GetDouble(), 6);
    }

    [Fact]
    public async Task Experiments_create_list_and_delete_work_by_name()
    {
        var name = SharedKeelServer.UniqueName("cli-exp");
        var created = await RunKeelAsync("experiments", "create", name, "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        using var createdJson = JsonDocument.Parse(created.Stdout);
        var id = createdJson.RootElement.GetProperty("experiment_id").GetString();

        var listed = await RunKeelAsync("experiments", "list", "--json", "--filter", $"name = '{name}'");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using var listJson = JsonDocument.Parse(listed.Stdout);
        Assert.Equal(id, Assert.Single(listJson.RootElement.EnumerateArray()).GetProperty("experiment_id").GetString());

        var table = await RunKeelAsync("experiments", "list");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains(name, table.Stdout, StringComparison.Ordinal);

        var deleted = await RunKeelAsync("experiments", "delete", name);
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        using var client = new KeelClient(fixture.BaseUri);
        Assert.Equal("deleted", (await client.GetExperimentAsync(id!)).LifecycleStage);
    }

    [Fact]
    public async Task An_API_error_prints_the_error_code_to_stderr_and_exits_1()
    {
        var result = await RunKeelAsync("runs", "show", "0123456789abcdef0123456789abcdef");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: RESOURCE_DOES_NOT_EXIST: ", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Equal("", result.Stdout.Trim());
    }

    [Fact]
    public async Task Artifacts_download_writes_the_files_and_prints_where()
    {
        using var client = new KeelClient(fixture.BaseUri);
        using var source = new Keel.Testing.TempDirectory();
        using var target = new Keel.Testing.TempDirectory();
        await File.WriteAllTextAsync(source.Combine("a.txt"), "alpha");
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("cli-art")))
        {
            runId = run.RunId;
            await run.LogArtifactsAsync(source.Path, "out");
        }

        var result = await RunKeelAsync("artifacts", "download", runId, "out", "--dest", target.Path, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var local = json.RootElement.GetProperty("local_path").GetString()!;
        Assert.Equal("alpha", await File.ReadAllTextAsync(Path.Combine(local, "a.txt")));
    }

    [Fact]
    public async Task Models_versions_alias_history_and_download_work_from_the_command_line()
    {
        using var client = new KeelClient(fixture.BaseUri);
        using var source = new Keel.Testing.TempDirectory();
        using var target = new Keel.Testing.TempDirectory();
        await File.WriteAllTextAsync(source.Combine("MLmodel"), "flavors: {}\n");
        await File.WriteAllTextAsync(source.Combine("model.bin"), "weights");
        var name = SharedKeelServer.UniqueName("cli-model");
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("cli-models")))
        {
            runId = run.RunId;
            await run.LogArtifactsAsync(source.Path, "model");
        }

        await client.RegisterModelAsync(name, $"runs:/{runId}/model");
        await client.RegisterModelAsync(name, $"runs:/{runId}/model");

        var versions = await RunKeelAsync("models", "versions", name, "--json");
        Assert.True(versions.ExitCode == 0, versions.Stderr);
        using (var json = JsonDocument.Parse(versions.Stdout))
        {
            Assert.Equal(["2", "1"], json.RootElement.EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        }

        Assert.Equal(0, (await RunKeelAsync("models", "alias", "set", name, "champion", "1")).ExitCode);
        Assert.Equal(0, (await RunKeelAsync("models", "alias", "set", name, "champion", "2")).ExitCode);
        var refused = await RunKeelAsync("models", "alias", "set", name, "v2", "2");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("INVALID_PARAMETER_VALUE", refused.Stderr, StringComparison.Ordinal);

        var history = await RunKeelAsync("models", "history", name, "--json");
        Assert.True(history.ExitCode == 0, history.Stderr);
        using (var json = JsonDocument.Parse(history.Stdout))
        {
            var moves = json.RootElement.EnumerateArray()
                .Select(h => (h.TryGetProperty("old_version", out var old) ? old.GetString() : null, h.GetProperty("new_version").GetString()))
                .ToList();
            Assert.Equal([(null, "1"), ("1", "2")], moves);
        }

        var download = await RunKeelAsync("models", "download", $"models:/{name}@champion", "--dest", target.Path);
        Assert.True(download.ExitCode == 0, download.Stderr);
        Assert.Equal("weights", await File.ReadAllTextAsync(target.Combine("model.bin")));
        Assert.True(File.Exists(target.Combine("MLmodel")));
    }

    [Fact]
    public async Task Models_evaluate_compares_the_iris_samples_mlnet_versions_in_the_keel_process()
    {
        // The keel process has only its own dependencies: this catches an ML.NET trainer assembly
        // that the sample (and this test assembly) carry but the CLI does not.
        var name = SharedKeelServer.UniqueName("iris-cli");
        using var log = new StringWriter();
        await Keel.Samples.Iris.IrisSample.RunAsync(new Keel.Samples.Iris.IrisOptions { TrackingUri = fixture.BaseUri, ModelName = name }, log);
        await Keel.Samples.Iris.IrisSample.RunAsync(
            new Keel.Samples.Iris.IrisOptions { TrackingUri = fixture.BaseUri, ModelName = name, Trees = 20, Leaves = 4 }, log);

        var result = await RunKeelAsync("models", "evaluate", $"models:/{name}@champion", $"models:/{name}@challenger",
            "--data", RepositoryFiles.Path("samples/Iris/iris.csv"), "--target", "species", "--json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
        using var json = JsonDocument.Parse(result.Stdout);
        var evaluations = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, evaluations.Count);
        foreach (var evaluation in evaluations)
        {
            Assert.Equal("classification", evaluation.GetProperty("task").GetString(), ignoreCase: true);
            Assert.InRange(evaluation.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
            Assert.Equal(150, evaluation.GetProperty("confusion_matrix").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt64()));
        }

        using var client = new KeelClient(fixture.BaseUri);
        var run = await client.GetRunAsync(evaluations[1].GetProperty("run_id").GetString()!);
        Assert.Equal($"models:/{name}@challenger", run.Data.Tags["keel.evaluation.model_uri"]);
    }

    [Fact]
    public async Task Deploy_commands_create_update_roll_out_roll_back_and_show_history()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var model = SharedKeelServer.UniqueName("cli-deploy-model");
        for (var i = 0; i < 2; i++)
        {
            await using var run = await client.StartRunAsync("cli-deploy");
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = model });
        }

        var name = SharedKeelServer.UniqueName("cli-deploy").Replace('_', '-');
        var created = await RunKeelAsync("deploy", "create", name, "--route", $"models:/{model}/1,weight=90,name=stable",
            "--route", $"models:/{model}/2,weight=10,name=canary", "--sticky-header", "X-Keel-Route-Key", "-m", "first", "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        using (var json = JsonDocument.Parse(created.Stdout))
        {
            var serving = json.RootElement[0].GetProperty("serving");
            Assert.Equal(0.9, serving[0].GetProperty("share").GetDouble(), 6);
        }

        var shadow = await RunKeelAsync("deploy", "update", name, "--shadow", $"models:/{model}/2,share=0.5", "--sample-rate", "0.5");
        Assert.True(shadow.ExitCode == 0, shadow.Stderr);
        var deployment = await client.GetDeploymentAsync(name);
        Assert.Equal((2L, 0.5, 0.5), (deployment.Revision, deployment.Spec.Shadow!.Share, deployment.Spec.InferenceLog.SampleRate));
        Assert.Equal(2, deployment.Spec.Routes.Count); // routes kept
        Assert.Null(deployment.Spec.Batching);

        var batched = await RunKeelAsync("deploy", "update", name, "--max-batch-size", "64");
        Assert.True(batched.ExitCode == 0, batched.Stderr);
        Assert.Equal(new Keel.Core.Deployments.BatchingSpec(64, 2), (await client.GetDeploymentAsync(name)).Spec.Batching);
        var waits = await RunKeelAsync("deploy", "update", name, "--max-wait-ms", "0.5");
        Assert.True(waits.ExitCode == 0, waits.Stderr);
        Assert.Equal(new Keel.Core.Deployments.BatchingSpec(64, 0.5), (await client.GetDeploymentAsync(name)).Spec.Batching);
        Assert.Contains("64 rows, 0.5 ms", (await RunKeelAsync("deploy", "show", name)).Stdout, StringComparison.Ordinal);
        var tooBig = await RunKeelAsync("deploy", "update", name, "--max-batch-size", "0");
        Assert.Equal(1, tooBig.ExitCode);
        Assert.Contains("batching.max_batch_size", tooBig.Stderr, StringComparison.Ordinal);
        var unbatched = await RunKeelAsync("deploy", "update", name, "--no-batching");
        Assert.True(unbatched.ExitCode == 0, unbatched.Stderr);
        Assert.Null((await client.GetDeploymentAsync(name)).Spec.Batching);

        var rollout = await RunKeelAsync("deploy", "update", name, "--rollout", $"models:/{model}/2", "--steps", "25/600s,100", "--min-requests", "10");
        Assert.True(rollout.ExitCode == 0, rollout.Stderr);
        Assert.Contains("running", rollout.Stdout, StringComparison.Ordinal);
        var back = await RunKeelAsync("deploy", "rollback", name, "--revision", "1");
        Assert.True(back.ExitCode == 0, back.Stderr);
        Assert.Equal(["stable", "canary"], (await client.GetDeploymentAsync(name)).Serving.Select(r => r.Route));

        var history = await RunKeelAsync("deploy", "history", name);
        Assert.True(history.ExitCode == 0, history.Stderr);
        foreach (var kind in new[] { "create", "update", "rollout_start", "rollback" })
        {
            Assert.Contains(kind, history.Stdout, StringComparison.Ordinal);
        }

        var listed = await RunKeelAsync("deploy", "list");
        Assert.Contains(name, listed.Stdout, StringComparison.Ordinal);
        var verdict = await RunKeelAsync("deploy", "verdict", name);
        Assert.True(verdict.ExitCode == 0, verdict.Stderr);

        var bad = await RunKeelAsync("deploy", "update", name, "--rollout", $"models:/{model}/2", "--steps", "50/xx,100");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--steps", bad.Stderr, StringComparison.Ordinal);
        var missing = await RunKeelAsync("deploy", "rollback", name, "--revision", "99");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("revision", missing.Stderr, StringComparison.Ordinal);

        var deleted = await RunKeelAsync("deploy", "delete", name);
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        Assert.DoesNotContain(name, (await RunKeelAsync("deploy", "list")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_commands_add_log_show_get_remove_and_collect()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("rows.csv");
        await File.WriteAllTextAsync(file, "id,x,label\n" + string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{i},{i * 0.5},{(i % 2 == 0 ? "a" : "b")}\n")));
        var name = SharedKeelServer.UniqueName("cli-data");

        var added = await RunKeelAsync("data", "add", name, file, "-m", "first");
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Contains($"Added {name}@", added.Stdout, StringComparison.Ordinal);
        var again = await RunKeelAsync("data", "add", name, file, "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        string id;
        using (var json = JsonDocument.Parse(again.Stdout))
        {
            Assert.False(json.RootElement.GetProperty("created").GetBoolean());
            Assert.Equal(0, json.RootElement.GetProperty("chunks_uploaded").GetInt32());
            id = json.RootElement.GetProperty("version").GetProperty("id").GetString()!;
        }

        var log = await RunKeelAsync("data", "log", name);
        Assert.True(log.ExitCode == 0, log.Stderr);
        Assert.Contains(id, log.Stdout, StringComparison.Ordinal);
        Assert.Contains("first", log.Stdout, StringComparison.Ordinal);
        var show = await RunKeelAsync("data", "show", $"{name}@1");
        Assert.Contains("rows.csv", show.Stdout, StringComparison.Ordinal);
        var diff = await RunKeelAsync("data", "diff", $"{name}@1", "@latest");
        Assert.True(diff.ExitCode == 0, diff.Stderr);
        Assert.Contains("0 files differ, 1 unchanged", diff.Stdout, StringComparison.Ordinal);
        var list = await RunKeelAsync("data", "ls", name);
        Assert.Contains(name, list.Stdout, StringComparison.Ordinal);

        var target = folder.Combine("copy");
        var get = await RunKeelAsync("data", "get", $"{name}@{id[..8]}", target, "--cache-dir", folder.Combine("cache"));
        Assert.True(get.ExitCode == 0, get.Stderr);
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(target, "rows.csv")));

        var missing = await RunKeelAsync("data", "get", $"{name}@9", target);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no version '9'", missing.Stderr, StringComparison.Ordinal);
        var outside = await RunKeelAsync("data", "add", name, folder.Combine("nothing-here"));
        Assert.Equal(1, outside.ExitCode);
        Assert.Contains("nothing-here", outside.Stderr, StringComparison.Ordinal);

        var removed = await RunKeelAsync("data", "rm", name);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        var gc = await RunKeelAsync("data", "gc", "--dry-run", "--grace-seconds", "0");
        Assert.True(gc.ExitCode == 0, gc.Stderr);
        Assert.Contains("Would free", gc.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_add_with_a_data_dir_writes_straight_into_a_local_store_that_a_server_then_serves()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("local.bin");
        await File.WriteAllBytesAsync(file, System.Security.Cryptography.RandomNumberGenerator.GetBytes(3_000_000));
        var store = folder.Combine("store");

        var added = await RunKeelAsync("data", "add", "local", file, "--data-dir", store, "-m", "offline");
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Contains("Added local@", added.Stdout, StringComparison.Ordinal);
        var again = await RunKeelAsync("data", "add", "local", file, "--data-dir", store);
        Assert.Contains("Unchanged: local@", again.Stdout, StringComparison.Ordinal);

        await using var server = await KeelServer.StartAsync(o => o.DataDir = store);
        using var client = new KeelClient(server.BaseUri);
        var version = await client.GetDatasetVersionAsync("local");
        Assert.Equal(("offline", Environment.UserName, 3_000_000L), (version.Version.Message, version.Version.Author, version.Version.SizeBytes));
        await client.DownloadDatasetVersionAsync("local", null, folder.Combine("out"), folder.Combine("cache"));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(folder.Combine("out"), "local.bin")));
    }

    [Fact]
    public async Task Monitor_report_writes_an_offline_html_and_a_json_report_from_two_files()
    {
        using var folder = new TempDirectory();
        string reference = RepositoryFiles.SharedFixture("drift_reference.csv"), current = RepositoryFiles.SharedFixture("drift_current.csv");
        var html = await RunKeelAsync("monitor", "report", "-r", reference, "-c", current, "-o", folder.Combine("report.html"));
        Assert.True(html.ExitCode == 0, html.Stderr);
        Assert.Contains("Dataset drift: DETECTED — 5 of 6 features drifted", html.Stdout, StringComparison.Ordinal);
        var page = await File.ReadAllTextAsync(folder.Combine("report.html"));
        Assert.Equal(6, page.Split("<svg").Length - 1);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", page.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var json = await RunKeelAsync("monitor", "report", "-r", reference, "-c", current, "-o", folder.Combine("report.json"), "--numerical-method", "ks", "--fail-on-drift");
        Assert.Equal(1, json.ExitCode);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(folder.Combine("report.json")));
        var amount = document.RootElement.GetProperty("data_drift").GetProperty("features")[0];
        Assert.Equal("ks", amount.GetProperty("method").GetString());
        Assert.Equal(0.1314, amount.GetProperty("ks_statistic").GetDouble(), 12);

        var bad = await RunKeelAsync("monitor", "report", "-r", reference, "-c", current, "-o", folder.Combine("report.json"), "--numerical-method", "chi_square");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("numerical_method must be one of", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_commands_create_run_show_and_take_feedback_from_a_file()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var model = SharedKeelServer.UniqueName("cli-monitor-model");
        await using (var run = await client.StartRunAsync("cli-monitor"))
        {
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = model });
        }

        var dataset = SharedKeelServer.UniqueName("cli-monitor-data");
        await client.AddDatasetVersionAsync(dataset, RepositoryFiles.SharedFixture("iris.csv"));
        var deployment = SharedKeelServer.UniqueName("cli-monitored").Replace('_', '-');
        await client.CreateDeploymentAsync(deployment, new Keel.Core.Deployments.DeploymentSpec(
            [new Keel.Core.Deployments.RouteSpec("primary", $"models:/{model}/1", 100)], null, null, Keel.Core.Deployments.InferenceLogSpec.Default, null));
        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        using var folder = new TempDirectory();
        var labels = new StringBuilder("request_id,actual\n");
        for (var i = 0; i < 10; i++)
        {
            var body = $$"""{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": {{1.4 + (i * 0.01)}}, "petal_width": 0.2}]}""";
            var id = $"{deployment}-{i}";
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/deployments/{deployment}/invocations") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Request-Id", id);
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode || deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                    break;
                }

                await Task.Delay(100);
            }

            labels.Append(id).Append(",0\n");
        }

        labels.Append("not-a-request,1\n");
        await File.WriteAllTextAsync(folder.Combine("labels.csv"), labels.ToString());
        var deadlineForLog = Stopwatch.StartNew();
        while ((await client.SearchInferenceLogAsync(deployment)).Count < 10 && deadlineForLog.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        var feedback = await RunKeelAsync("monitor", "feedback", folder.Combine("labels.csv"));
        Assert.True(feedback.ExitCode == 0, feedback.Stderr);
        Assert.Contains("Feedback: 10 stored", feedback.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 unknown request ids (e.g. not-a-request)", feedback.Stdout, StringComparison.Ordinal);

        var name = deployment + "-watch";
        var created = await RunKeelAsync("monitor", "create", name, "-d", deployment, "--reference-dataset", dataset, "--window", "1h", "--schedule", "0");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var bad = await RunKeelAsync("monitor", "create", name + "2", "-d", deployment, "--reference-dataset", dataset, "--window", "1 hour");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--window must be a duration", bad.Stderr, StringComparison.Ordinal);

        var ran = await RunKeelAsync("monitor", "run", name);
        Assert.True(ran.ExitCode == 0, ran.Stderr);
        Assert.Contains("10 rows from 10 requests, 10 labelled", ran.Stdout, StringComparison.Ordinal);
        Assert.Contains("petal_length", ran.Stdout, StringComparison.Ordinal);
        Assert.Contains("Quality (classification, 10 labelled rows): accuracy 1", ran.Stdout, StringComparison.Ordinal);

        var shown = await RunKeelAsync("monitor", "show", name);
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains(dataset, shown.Stdout, StringComparison.Ordinal);
        var listed = await RunKeelAsync("monitor", "list", "--deployment", deployment, "--json");
        using (var json = JsonDocument.Parse(listed.Stdout))
        {
            Assert.Equal(name, json.RootElement[0].GetProperty("name").GetString());
        }

        var fromProfile = await RunKeelAsync("monitor", "report", "-r", dataset, "-c", RepositoryFiles.SharedFixture("iris.csv"), "-o", folder.Combine("profile.json"));
        Assert.True(fromProfile.ExitCode == 0, fromProfile.Stderr);
        Assert.Contains("Dataset drift: not detected — 0 of 5 features drifted", fromProfile.Stdout, StringComparison.Ordinal);
        var report = await RunKeelAsync("monitor", "report", "--monitor", name, "-o", folder.Combine("window.html"));
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Contains("Model quality (classification)", await File.ReadAllTextAsync(folder.Combine("window.html")), StringComparison.Ordinal);
        var alert = await RunKeelAsync("monitor", "alert", "create", name + "-rows", "--monitor", name, "--metric", "rows", "--when", ">= 5", "--severity", "info");
        Assert.True(alert.ExitCode == 0, alert.Stderr);
        Assert.Contains($"monitor {name} rows >= 5", alert.Stdout, StringComparison.Ordinal);
        var vague = await RunKeelAsync("monitor", "alert", "create", name + "-vague", "--monitor", name, "--metric", "rows", "--when", "around 5");
        Assert.Equal(1, vague.ExitCode);
        Assert.Contains("--when must be a comparison and a number", vague.Stderr, StringComparison.Ordinal);
        var evaluated = await RunKeelAsync("monitor", "alert", "evaluate");
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);

        // The server's scheduler evaluates the rules on its own tick too: the transition is
        // reported by whichever evaluation comes first, and the events below show it either way.
        Assert.True(
            evaluated.Stdout.Contains($"{name}-rows firing", StringComparison.Ordinal) || evaluated.Stdout.Trim() == "No rule changed state.",
            evaluated.Stdout);
        var events = await RunKeelAsync("monitor", "alert", "events", name + "-rows", "--json");
        using (var json = JsonDocument.Parse(events.Stdout))
        {
            Assert.Equal("firing", json.RootElement[0].GetProperty("event").GetProperty("kind").GetString());
        }

        var rules = await RunKeelAsync("monitor", "alert", "list");
        Assert.Contains("firing", rules.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await RunKeelAsync("monitor", "alert", "delete", name + "-rows")).ExitCode);
        Assert.Equal(0, (await RunKeelAsync("monitor", "delete", name)).ExitCode);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunKeelAsync(params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(RepositoryFiles.Root, "keel"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--tracking-uri");
        info.ArgumentList.Add(fixture.BaseUri.ToString());
        info.Environment.Remove("KEEL_TRACKING_URI");
        info.Environment.Remove("MLFLOW_TRACKING_URI");

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Could not start bash to run ./keel: {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"keel {string.Join(' ', args)} did not finish within {CommandTimeout}.\n{Snapshot(stderr)}");
        }

        // WaitForExitAsync returns after the redirected streams reach end of file.
        return (process.ExitCode, Snapshot(stdout), WithoutBuildNotice(Snapshot(stderr)));
    }

    // The launcher announces a rebuild on stderr; that line is not the command's output.
    private static string WithoutBuildNotice(string stderr) =>
        string.Join('\n', stderr.Split('\n').Where(l => !l.StartsWith("keel: building ", StringComparison.Ordinal)));

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}
