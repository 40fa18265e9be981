using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Keel.Server.Tests.Reliability;

/// <summary>`keel server` as a separate OS process, so a test can SIGKILL it like a crash would.</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static async Task<ServerProcess> StartAsync(string dataDir)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "keel.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: the test project references Keel.Cli so its build output is copied here.");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "server", "--port", "0", "--data-dir", dataDir },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new ServerProcess(process, new Uri(match.Groups[1].Value));
            }
        }

        throw new InvalidOperationException("keel server exited before listening: " + await process.StandardError.ReadToEndAsync(timeout.Token));
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushes — what a power cut looks like to the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager or Kubernetes stops a server; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
