using System.CommandLine;
using Keel.Core.Errors;
using Keel.Server.Hosting;
using Keel.Storage.Sql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Keel.Cli.Commands;

/// <summary>`keel server`: options from defaults, keel.yaml, KEEL__… environment and flags, in that order.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var host = new Option<string?>("--host") { Description = "Interface to listen on (default 127.0.0.1)." };
        var port = new Option<int?>("--port") { Description = "TCP port (default 5000; 0 picks a free one)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the embedded database and artifacts (default ./.keel)." };
        var backend = new Option<string?>("--backend-store-uri") { Description = "sqlite:///path.db or postgresql://user:pass@host:port/db." };
        var artifacts = new Option<string?>("--artifacts-destination") { Description = "Folder for proxied artifacts (default <data-dir>/artifacts)." };
        var maxRequest = new Option<int?>("--max-request-mb") { Description = "Largest API request body in MiB (default 64; artifact uploads are unlimited)." };
        var refresh = new Option<double?>("--deployment-refresh-seconds") { Description = "How often deployments follow aliases, judge rollouts and pick up other replicas' changes (default 1)." };
        var monitorTick = new Option<double?>("--monitor-tick-seconds") { Description = "How often the monitor scheduler looks for monitors that are due (default 5)." };
        var webhookRetry = new Option<double?>("--webhook-retry-seconds") { Description = "Delay before the first retry of a failed alert webhook (default 1; doubling, five retries)." };
        var config = new Option<string?>("--config") { Description = "YAML configuration file (default ./keel.yaml when present)." };

        var command = new Command("server", "Start the Keel platform: REST APIs, artifact proxy, deployments (/deployments/NAME/invocations), /metrics and UI.");
        foreach (var option in new Option[] { host, port, dataDir, backend, artifacts, maxRequest, refresh, monitorTick, webhookRetry, config })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?>
            {
                [nameof(KeelOptions.Host)] = parse.GetValue(host),
                [nameof(KeelOptions.Port)] = parse.GetValue(port)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [nameof(KeelOptions.DataDir)] = parse.GetValue(dataDir),
                [nameof(KeelOptions.BackendStoreUri)] = parse.GetValue(backend),
                [nameof(KeelOptions.ArtifactsDestination)] = parse.GetValue(artifacts),
                [nameof(KeelOptions.MaxRequestMb)] = parse.GetValue(maxRequest)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [nameof(KeelOptions.DeploymentRefreshSeconds)] = parse.GetValue(refresh)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [nameof(KeelOptions.MonitorTickSeconds)] = parse.GetValue(monitorTick)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [nameof(KeelOptions.WebhookRetrySeconds)] = parse.GetValue(webhookRetry)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            KeelOptions options;
            try
            {
                options = LoadOptions(parse.GetValue(config), flags);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or YamlDotNet.Core.YamlException or FileNotFoundException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }

            try
            {
                await using var app = KeelApp.Build(options);
                await app.StartAsync(ct);
                Console.WriteLine($"Keel {KeelEndpointRouteBuilderExtensions.Version} listening on {KeelApp.BoundAddress(app)}");
                Console.WriteLine($"  backend store: {TrackingStoreFactory.Describe(KeelServiceCollectionExtensions.ResolveBackendStoreUri(options))}");
                Console.WriteLine($"  artifacts:     {Path.GetFullPath(options.ArtifactsDestination ?? Path.Combine(options.DataDir, "artifacts"))}");
                Console.WriteLine("Press Ctrl+C to stop.");
                // System.CommandLine turns Ctrl+C and SIGTERM into this token; the host then drains in-flight requests.
                await app.WaitForShutdownAsync(ct);
                return 0;
            }
            catch (KeelException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync($"error: cannot listen on {options.Host}:{options.Port}: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>Precedence (docs/configuration.md): defaults, keel.yaml, KEEL__… environment, flags.</summary>
    internal static KeelOptions LoadOptions(string? configPath, IDictionary<string, string?> flags)
    {
        var builder = new ConfigurationBuilder();
        var path = configPath ?? "keel.yaml";
        if (configPath is not null && !File.Exists(configPath))
        {
            throw new FileNotFoundException($"Configuration file '{configPath}' does not exist.");
        }

        if (File.Exists(path))
        {
            builder.AddInMemoryCollection(ReadYaml(path));
        }

        builder.AddEnvironmentVariables("KEEL__");
        builder.AddInMemoryCollection(flags.Where(f => f.Value is not null));
        var options = new KeelOptions();
        builder.Build().Bind(options);
        return options;
    }

    /// <summary>Reads the `server:` section (or top-level keys) of keel.yaml; keys as in the flags (`data-dir`, `port`, …).</summary>
    private static Dictionary<string, string?> ReadYaml(string path)
    {
        var yaml = new YamlDotNet.Serialization.Deserializer().Deserialize<Dictionary<string, object?>>(File.ReadAllText(path)) ?? [];
        if (yaml.TryGetValue("server", out var section) && section is Dictionary<object, object?> server)
        {
            yaml = server.ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value);
        }

        return yaml.Where(kv => kv.Value is string or int or long or double or bool || kv.Value?.GetType().IsPrimitive == true)
            .ToDictionary(kv => kv.Key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), kv => (string?)Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture));
    }
}
