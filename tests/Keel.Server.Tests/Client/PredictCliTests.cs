using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Keel.Cli.Commands;
using Keel.Client;
using Keel.Client.Models;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Server.Tests.Client;

/// <summary>
/// `keel predict` as a process, on the shared iris fixtures: a local model folder, and a
/// registered model resolved through a real server. The CLI is the `keel.dll` this test assembly
/// was built with (the project references Keel.Cli), not the `./keel` launcher: the launcher would
/// rebuild the CLI in Release into the shared artifacts folder on every source change.
/// </summary>
public sealed class PredictCliTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>, IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string LocalModel()
    {
        var folder = _folder.Combine("iris-model");
        new ModelPackager(TimeProvider.System).SaveOnnx(RepositoryFiles.SharedFixture("iris_forest.onnx"), folder);
        return folder;
    }

    private static async Task<string?[]> ExpectedLabelsAsync() =>
        (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris_forest_expected.csv"))).GetStrings("label");

    [Fact]
    public async Task Predict_scores_a_csv_into_parquet_with_a_local_model_folder()
    {
        var output = _folder.Combine("scored.parquet");

        var result = await RunKeelAsync("predict", "--model", LocalModel(), "--input", RepositoryFiles.SharedFixture("iris.csv"),
            "--output", output, "--id-column", "species", "--batch-size", "32");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
        Assert.Matches(@"^Scored 150 rows with the model in .+ in [0-9.]+ s \([0-9,]+ rows/s\): .+scored\.parquet \(species, label, probabilities_0, probabilities_1, probabilities_2\)$", result.Stdout.Trim());
        var scored = await TableReader.ReadAsync(output);
        Assert.Equal(["species", "label", "probabilities_0", "probabilities_1", "probabilities_2"], scored.ColumnNames);
        Assert.Equal(await ExpectedLabelsAsync(), scored.GetStrings("label"));
        Assert.Equal((await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"))).GetStrings("species"), scored.GetStrings("species"));
    }

    [Fact]
    public async Task Predict_resolves_a_registered_model_by_alias_through_the_tracking_server()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("iris-predict");
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("predict")))
        {
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = name });
        }

        await client.SetRegisteredModelAliasAsync(name, "champion", "1");
        var output = _folder.Combine("scored.jsonl");

        var result = await RunKeelAsync("predict", "--model", $"models:/{name}@champion", "--input", RepositoryFiles.SharedFixture("iris.csv"),
            "--output", output, "--id-column", "species", "--tracking-uri", fixture.BaseUri.ToString(), "--cache-dir", _folder.Combine("cache"));

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
        Assert.Contains($"with {name} version 1 in", result.Stdout, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(150, lines.Length);
        var labels = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("label").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(await ExpectedLabelsAsync(), labels);
    }

    [Fact]
    public async Task A_bad_value_exits_1_naming_line_and_column_and_leaves_no_output()
    {
        var input = _folder.Combine("bad.csv");
        await File.WriteAllTextAsync(input, "id,sepal_length,sepal_width,petal_length,petal_width\n1,5.1,3.5,1.4,0.2\n2,4.9,three,1.4,0.2\n");
        var output = _folder.Combine("scored.csv");

        var result = await RunKeelAsync("predict", "-m", LocalModel(), "-i", input, "-o", output, "--id-column", "id");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"error: INVALID_PARAMETER_VALUE: CSV file '{input}' line 3, column 'sepal_width': 'three' is not a number (the model takes this column as an input).",
            result.Stderr.Trim());
        Assert.Equal("", result.Stdout.Trim());
        Assert.False(File.Exists(output));
        Assert.Equal(["bad.csv", "iris-model"], Directory.GetFileSystemEntries(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Missing_files_and_unknown_formats_are_errors_before_the_model_loads()
    {
        var missing = await RunKeelAsync("predict", "-m", _folder.Combine("no-model"), "-i", _folder.Combine("none.csv"), "-o", _folder.Combine("out.csv"));
        var format = await RunKeelAsync("predict", "-m", _folder.Combine("no-model"), "-i", RepositoryFiles.SharedFixture("iris.csv"), "-o", _folder.Combine("out.xlsx"));
        var model = await RunKeelAsync("predict", "-m", _folder.Combine("no-model"), "-i", RepositoryFiles.SharedFixture("iris.csv"), "-o", _folder.Combine("out.csv"));

        Assert.Equal((1, $"error: RESOURCE_DOES_NOT_EXIST: Input file '{_folder.Combine("none.csv")}' does not exist."), (missing.ExitCode, missing.Stderr.Trim()));
        Assert.Equal(1, format.ExitCode);
        Assert.Contains("'.xlsx', which is not a table format", format.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, model.ExitCode);
        Assert.Contains("is neither a model folder nor a models:/ or runs:/ URI", model.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_leaves_no_onnx_runtime_telemetry_in_the_home_folder()
    {
        // ONNX Runtime's own telemetry (on by default in its Linux packages since 1.29) writes a
        // device id and an event database under ~/.cache and uploads from threads of its own; it
        // stays quiet on CI services, so the variables it looks for are removed here.
        var home = _folder.Combine("home");
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string?> { ["HOME"] = home, ["XDG_CACHE_HOME"] = null, [OnnxRuntimeEnvironment.TelemetryVariable] = null };
        foreach (var ci in (string[])["CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER"])
        {
            environment[ci] = null;
        }

        var result = await RunKeelAsync(environment, "predict", "--model", LocalModel(), "--input", RepositoryFiles.SharedFixture("iris.csv"),
            "--output", _folder.Combine("scored.csv"), "--id-column", "species");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
        Assert.Empty(Directory.GetFileSystemEntries(home, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Predict_compiles_each_method_once_unless_the_user_chose_tiering()
    {
        // The JIT's own list of what it compiled, and at which tier: the process `keel predict`
        // replaces itself with (PredictProcess) compiles optimized at once, never at tier 0.
        // Each process's list starts again at 1, on the standard output both share. Not a
        // DOTNET_JitStdOutFile: one full-suite run with that file aborted in native code
        // ("free(): invalid pointer"), which 510 runs of keel predict with and without the JIT
        // knobs did not repeat; the JIT's own file handling at exit is the likeliest place.
        var model = LocalModel();
        async Task<string[]> TiersAsync(string? tiering)
        {
            var environment = new Dictionary<string, string?>
            {
                ["DOTNET_JitDisasmSummary"] = "1",
                ["DOTNET_JitStdOutFile"] = null,
                [PredictProcess.TieringVariable] = tiering,
                ["COMPlus_TieredCompilation"] = null,
            };
            var result = await RunKeelAsync(environment, "predict", "-m", model, "-i", RepositoryFiles.SharedFixture("iris.csv"),
                "-o", _folder.Combine($"scored-{tiering ?? "default"}.csv"), "--id-column", "species");
            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stderr}");
            // The process before the exec may leave its last line unfinished (its buffer is not
            // flushed), so the new list is found by its first entry, not by a line start.
            var text = result.Stdout;
            var last = text.LastIndexOf("   1: JIT compiled ", StringComparison.Ordinal);
            Assert.True(last >= 0, text);
            return [.. text[last..].Split('\n').Select(l => System.Text.RegularExpressions.Regex.Match(l, @"\[([A-Za-z0-9 ]+?)(?: with [A-Za-z ]+)?, IL size").Groups[1].Value).Distinct()];
        }

        var tiers = await TiersAsync(null);
        var chosen = await TiersAsync("1");

        Assert.Contains("FullOpts", tiers);
        Assert.DoesNotContain(tiers, t => t.StartsWith("Tier", StringComparison.Ordinal) || t.Contains("Instrumented", StringComparison.Ordinal));
        Assert.Contains("Tier0", chosen);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunKeelAsync(params string[] args) =>
        RunKeelAsync(new Dictionary<string, string?>(), args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunKeelAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keel.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("KEEL_TRACKING_URI");
        info.Environment.Remove("MLFLOW_TRACKING_URI");
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

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
            Assert.Fail($"Could not start dotnet to run keel.dll: {e.Message}");
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

        return (process.ExitCode, Snapshot(stdout), Snapshot(stderr));
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is not null)
        {
            lock (buffer)
            {
                buffer.AppendLine(line);
            }
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
