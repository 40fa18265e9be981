using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Keel.Core.Deployments;
using Keel.Monitoring.Monitors;
using Keel.Server.Tests.Deployments;
using Keel.Testing;

namespace Keel.Server.Tests.Monitoring;

/// <summary>
/// A real Prometheus (Debian's package, installed by test.sh) scrapes a running keel server's
/// /metrics on a temporary configuration; its HTTP API then answers Keel's serving and monitor series.
/// </summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_keel_and_answers_its_serving_and_monitor_series()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.AddDatasetVersionAsync("iris-ref", RepositoryFiles.SharedFixture("iris.csv"));
        await f.Client.CreateDeploymentAsync("scraped", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await f.InvokeAsync("scraped")).Status);
        }

        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.SearchInferenceLogAsync("scraped")).Count == 5));
        await f.Client.CreateMonitorAsync("scraped-watch", new MonitorSpec { Deployment = "scraped", Reference = new MonitorReference { Dataset = "iris-ref" }, ScheduleSeconds = 0 });
        await f.Client.RunMonitorAsync("scraped-watch");

        using var folder = new TempDirectory();
        var port = FreePort();
        var target = f.Server.BaseUri;
        await File.WriteAllTextAsync(folder.Combine("prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: keel
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Host}:{target.Port}"]
            """);
        using var prometheus = StartPrometheus(folder, port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            double? Value(JsonElement result) => result.GetArrayLength() == 0 ? null
                : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            JsonElement served = default, drift = default;
            var found = await DeploymentFixture.EventuallyAsync(async () =>
            {
                served = await QueryAsync(http, "sum(keel_predictions_total{deployment=\"scraped\"})");
                drift = await QueryAsync(http, "keel_monitor_window_rows{monitor=\"scraped-watch\"}");
                return Value(served) is not null && Value(drift) is not null;
            }, seconds: 60);
            Assert.True(found, $"Prometheus never answered the Keel series: {served} {drift}; its log: {prometheus.Log()}");
            Assert.Equal(5, Value(served));
            Assert.Equal(10, Value(drift)); // five requests of two rows
            var up = await QueryAsync(http, "up{job=\"keel\"}");
            Assert.Equal(1, Value(up));
        }
        finally
        {
            prometheus.Stop();
        }
    }

    private static async Task<JsonElement> QueryAsync(HttpClient http, string query)
    {
        try
        {
            using var response = await http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return document.RootElement.GetProperty("data").GetProperty("result").Clone();
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
        }

        // Not listening yet, or still starting ("Service Unavailable" in plain text): no result yet.
        return JsonDocument.Parse("[]").RootElement.Clone();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static PrometheusProcess StartPrometheus(TempDirectory folder, int port)
    {
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "prometheus")).FirstOrDefault(File.Exists);
        Assert.True(binary is not null, "prometheus is not installed (./test.sh installs Debian's package when it is missing)");
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--config.file=" + folder.Combine("prometheus.yml"), "--storage.tsdb.path=" + folder.Combine("data"),
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            info.ArgumentList.Add(arg);
        }

        return new PrometheusProcess(Process.Start(info)!);
    }

    private sealed class PrometheusProcess : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _log = new();

        public PrometheusProcess(Process process)
        {
            _process = process;
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
        }

        public string Log()
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }

        public void Stop()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }

        private void Append(string? line)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
