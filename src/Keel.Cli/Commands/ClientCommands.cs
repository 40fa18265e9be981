using System.CommandLine;
using System.Net;
using Keel.Client;

namespace Keel.Cli.Commands;

/// <summary>
/// The client-side commands: <c>keel experiments …</c>, <c>keel runs …</c>, <c>keel artifacts …</c>.
/// They talk to a running server through <see cref="KeelClient"/> only, so they work against any
/// MLflow-compatible tracking server.
/// </summary>
public static partial class ClientCommands
{
    /// <summary>Adds the client commands to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(CreateExperimentsCommand());
        root.Subcommands.Add(CreateRunsCommand());
        root.Subcommands.Add(CreateArtifactsCommand());
        root.Subcommands.Add(CreateModelsCommand());
        root.Subcommands.Add(CreateDeployCommand());
        root.Subcommands.Add(CreateDataCommand());
        root.Subcommands.Add(CreateMonitorCommand());
    }

    /// <summary>The options every client command has; one instance per command.</summary>
    private sealed class CommonOptions
    {
        public Option<string> TrackingUri { get; } = new("--tracking-uri")
        {
            Description = "The tracking server (default: KEEL_TRACKING_URI, else MLFLOW_TRACKING_URI, else " + KeelClient.DefaultTrackingUri + ").",
            DefaultValueFactory = _ =>
                NonEmpty(Environment.GetEnvironmentVariable("KEEL_TRACKING_URI"))
                ?? NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI"))
                ?? KeelClient.DefaultTrackingUri,
        };

        public Option<bool> Json { get; } = new("--json")
        {
            Description = "Print JSON instead of a table.",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(TrackingUri);
            command.Options.Add(Json);
        }

        private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>
    /// Sets the command's action: builds the client, runs <paramref name="body"/>, and turns the
    /// failures a user can cause (server errors, unreachable server, bad URI) into
    /// <c>error: …</c> on stderr and exit code 1.
    /// </summary>
    private static void SetClientAction(
        Command command, CommonOptions common, Func<ParseResult, KeelClient, CliOutput, CancellationToken, Task<int>> body)
    {
        common.AddTo(command);
        command.SetAction(async (ParseResult parseResult, CancellationToken cancellationToken) =>
        {
            var invocation = parseResult.InvocationConfiguration;
            var stdout = invocation.Output;
            var stderr = invocation.Error;
            var rawUri = parseResult.GetValue(common.TrackingUri) ?? KeelClient.DefaultTrackingUri;
            Uri uri;
            try
            {
                uri = KeelClient.ParseTrackingUri(rawUri, "--tracking-uri");
            }
            catch (ArgumentException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            try
            {
                using var client = new KeelClient(uri);
                return await body(parseResult, client, new CliOutput(stdout, parseResult.GetValue(common.Json)), cancellationToken);
            }
            catch (KeelApiException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.ErrorCode}: {ex.Message}");
                return 1;
            }
            catch (Keel.Core.Errors.KeelException ex)
            {
                // Raised in process: a model Keel cannot run, a data file that does not fit the model.
                await stderr.WriteLineAsync($"error: {ex.Code}: {ex.Message}");
                return 1;
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or NotSupportedException or ArgumentException)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            catch (HttpRequestException ex)
            {
                await stderr.WriteLineAsync($"error: cannot reach the tracking server at {uri}: {ex.Message}");
                return 1;
            }
            catch (TimeoutException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
    }

    /// <summary>
    /// Finds an experiment by name, else by id — the order <c>keel</c> uses wherever a command
    /// takes "ID_OR_NAME" (names win, because a name may look like a number).
    /// </summary>
    private static async Task<Experiment> ResolveExperimentAsync(KeelClient client, string idOrName, CancellationToken cancellationToken)
    {
        var byName = await client.GetExperimentByNameAsync(idOrName, cancellationToken);
        if (byName is not null)
        {
            return byName;
        }

        if (idOrName.Length > 0 && idOrName.All(char.IsAsciiDigit))
        {
            try
            {
                return await client.GetExperimentAsync(idOrName, cancellationToken);
            }
            catch (KeelApiException ex) when (ex.HttpStatus == HttpStatusCode.NotFound)
            {
                // Fall through to the message that names both lookups.
            }
        }

        throw new KeelApiException(
            KeelErrorCodes.ResourceDoesNotExist,
            $"No experiment is named '{idOrName}'{(idOrName.All(char.IsAsciiDigit) ? " or has that id" : "")}.",
            HttpStatusCode.NotFound);
    }

    private static ViewType ParseViewType(string? value) => value switch
    {
        "deleted" => ViewType.DeletedOnly,
        "all" => ViewType.All,
        _ => ViewType.ActiveOnly,
    };

    private static Option<string> CreateViewOption()
    {
        var option = new Option<string>("--view")
        {
            Description = "Which lifecycle stages to show: active, deleted or all.",
            DefaultValueFactory = _ => "active",
        };
        option.AcceptOnlyFromAmong("active", "deleted", "all");
        return option;
    }
}
