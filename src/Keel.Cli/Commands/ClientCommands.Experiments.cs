using System.CommandLine;
using Keel.Client;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateExperimentsCommand()
    {
        var experiments = new Command("experiments", "List, create and delete experiments on a tracking server.");
        experiments.Subcommands.Add(CreateExperimentsListCommand());
        experiments.Subcommands.Add(CreateExperimentsCreateCommand());
        experiments.Subcommands.Add(CreateExperimentsDeleteCommand());
        return experiments;
    }

    private static Command CreateExperimentsListCommand()
    {
        var command = new Command("list", "List experiments.");
        var view = CreateViewOption();
        var filter = new Option<string?>("--filter")
        {
            Description = "An MLflow filter, e.g. \"name LIKE 'churn%'\".",
        };
        var maxResults = new Option<int>("--max-results")
        {
            Description = "The most experiments to show.",
            DefaultValueFactory = _ => 1000,
        };
        command.Options.Add(view);
        command.Options.Add(filter);
        command.Options.Add(maxResults);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var max = Math.Max(1, parseResult.GetValue(maxResults));
            var found = new List<Experiment>();
            await foreach (var experiment in client.EnumerateExperimentsAsync(
                parseResult.GetValue(filter),
                viewType: ParseViewType(parseResult.GetValue(view)),
                pageSize: Math.Min(max, 1000),
                cancellationToken: cancellationToken))
            {
                found.Add(experiment);
                if (found.Count >= max)
                {
                    break;
                }
            }

            if (output.Json)
            {
                await output.WriteJsonAsync(found, cancellationToken);
                return 0;
            }

            var table = CliOutput.NewTable("ID", "Name", "Stage", "Artifact location", "Created");
            foreach (var e in found)
            {
                CliOutput.AddRow(table, e.ExperimentId, e.Name, e.LifecycleStage, e.ArtifactLocation, CliOutput.Time(e.CreationTime));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateExperimentsCreateCommand()
    {
        var command = new Command("create", "Create an experiment and print its id.");
        var name = new Argument<string>("NAME") { Description = "The experiment name (unique)." };
        var artifactLocation = new Option<string?>("--artifact-location")
        {
            Description = "Where its runs store artifacts (default: the server's artifact root).",
        };
        command.Arguments.Add(name);
        command.Options.Add(artifactLocation);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var experimentName = parseResult.GetValue(name)!;
            var id = await client.CreateExperimentAsync(
                experimentName, parseResult.GetValue(artifactLocation), cancellationToken: cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { experiment_id = id, name = experimentName }, cancellationToken);
            }
            else
            {
                await output.WriteLineAsync(id, cancellationToken);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateExperimentsDeleteCommand()
    {
        var command = new Command("delete", "Delete an experiment and mark its runs deleted (restorable on the server).");
        var idOrName = new Argument<string>("ID_OR_NAME") { Description = "The experiment's name or id (a name wins)." };
        command.Arguments.Add(idOrName);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var experiment = await ResolveExperimentAsync(client, parseResult.GetValue(idOrName)!, cancellationToken);
            await client.DeleteExperimentAsync(experiment.ExperimentId, cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(
                    new { experiment_id = experiment.ExperimentId, name = experiment.Name, lifecycle_stage = "deleted" }, cancellationToken);
            }
            else
            {
                await output.WriteLineAsync($"Deleted experiment {experiment.ExperimentId} ({experiment.Name}).", cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
