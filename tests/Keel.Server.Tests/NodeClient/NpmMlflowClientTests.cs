using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Keel.Testing;

namespace Keel.Server.Tests.NodeClient;

/// <summary>
/// The npm `mlflow` package (2.0.7) against a real Keel server: tests/node-client/scenario.mjs
/// runs the tracking calls its users make, including the client's quirks (reference §9.1).
/// </summary>
public sealed class NpmMlflowClientTests
{
    private const string InstallHint = "run ./test.sh (it installs them) or `cd tests/node-client && npm ci`";
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Npm_mlflow_2_0_7_creates_logs_searches_finishes_and_deletes_a_run()
    {
        var clientDirectory = Path.Combine(RepositoryFiles.Root, "tests", "node-client");
        if (!File.Exists(Path.Combine(clientDirectory, "node_modules", "mlflow", "package.json")))
        {
            Assert.Fail($"The npm modules of {clientDirectory} are not installed: {InstallHint}.");
        }

        await using var server = await KeelServer.StartAsync();
        var result = await RunNodeAsync(clientDirectory, server.BaseUri.ToString().TrimEnd('/'));

        Assert.True(
            result.ExitCode == 0,
            $"node scenario.mjs exited with {result.ExitCode}.\n--- stdout ---\n{result.Stdout}\n--- stderr (tail) ---\n{Tail(result.Stderr, 8000)}");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string workingDirectory, string keelUri)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("scenario.mjs");
        info.Environment["KEEL_URI"] = keelUri;
        info.Environment["NODE_NO_WARNINGS"] = "1";

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
            Assert.Fail($"Could not start `node` ({e.Message}). Install Node.js (`apt-get install -y nodejs npm`), then {InstallHint}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ScenarioTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node scenario.mjs did not finish within {ScenarioTimeout}.\n--- stdout ---\n{Snapshot(stdout)}\n--- stderr (tail) ---\n{Tail(Snapshot(stderr), 8000)}");
        }

        return (process.ExitCode, Snapshot(stdout), Snapshot(stderr));
    }

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

    private static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^length..];

}
