using System.CommandLine;
using Keel.Client;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateModelsCommand()
    {
        var models = new Command("models", "Registered models: list, show, versions, aliases and their history, download, evaluate.");
        models.Subcommands.Add(CreateModelsListCommand());
        models.Subcommands.Add(CreateModelsShowCommand());
        models.Subcommands.Add(CreateModelsVersionsCommand());
        models.Subcommands.Add(CreateModelsDownloadCommand());
        models.Subcommands.Add(CreateModelsHistoryCommand());
        models.Subcommands.Add(CreateModelsAliasCommand());
        models.Subcommands.Add(CreateModelsEvaluateCommand());
        return models;
    }

    private static Command CreateModelsListCommand()
    {
        var command = new Command("list", "List registered models.");
        var filter = new Option<string?>("--filter") { Description = "An MLflow filter, e.g. \"name LIKE 'iris%'\" or \"tags.team = 'ml'\"." };
        command.Options.Add(filter);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var found = new List<RegisteredModel>();
            string? token = null;
            do
            {
                var page = await client.SearchRegisteredModelsAsync(parseResult.GetValue(filter), maxResults: 1000, pageToken: token, cancellationToken: cancellationToken);
                found.AddRange(page.Items);
                token = page.NextPageToken;
            }
            while (token is not null);

            if (output.Json)
            {
                await output.WriteJsonAsync(found, cancellationToken);
                return 0;
            }

            var table = CliOutput.NewTable("Name", "Latest versions", "Aliases", "Updated", "Description");
            foreach (var m in found)
            {
                CliOutput.AddRow(table, m.Name, string.Join(", ", m.LatestVersions.Select(v => $"{v.Version} ({v.CurrentStage})")),
                    string.Join(", ", m.Aliases.Select(a => $"{a.Key}→{a.Value}")), CliOutput.Time(m.LastUpdatedTime), m.Description);
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateModelsShowCommand()
    {
        var command = new Command("show", "Show a registered model (NAME), or one version of it (models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE).");
        var model = new Argument<string>("MODEL") { Description = "A name, or a models:/ URI naming one version." };
        command.Arguments.Add(model);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var text = parseResult.GetValue(model)!;
            if (text.StartsWith("models:", StringComparison.Ordinal))
            {
                var version = await client.ResolveModelVersionAsync(text, cancellationToken);
                if (output.Json)
                {
                    await output.WriteJsonAsync(version, cancellationToken);
                }
                else
                {
                    output.Write(VersionsTable([version]));
                    await output.WriteLineAsync($"download uri: {await client.GetModelVersionDownloadUriAsync(version.Name, version.Version, cancellationToken)}", cancellationToken);
                }

                return 0;
            }

            var registered = await client.GetRegisteredModelAsync(text, cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(registered, cancellationToken);
                return 0;
            }

            await output.WriteLineAsync($"{registered.Name}  (updated {CliOutput.Time(registered.LastUpdatedTime)})", cancellationToken);
            if (!string.IsNullOrEmpty(registered.Description))
            {
                await output.WriteLineAsync(registered.Description, cancellationToken);
            }

            foreach (var (key, value) in registered.Tags)
            {
                await output.WriteLineAsync($"tag {key} = {value}", cancellationToken);
            }

            foreach (var (alias, version) in registered.Aliases)
            {
                await output.WriteLineAsync($"alias {alias} → {version}", cancellationToken);
            }

            output.Write(VersionsTable(registered.LatestVersions));
            return 0;
        });
        return command;
    }

    private static Command CreateModelsVersionsCommand()
    {
        var command = new Command("versions", "List the versions of a registered model, newest first.");
        var name = new Argument<string>("NAME") { Description = "The registered model." };
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var modelName = parseResult.GetValue(name)!;
            // Quotes inside the name are fine: MLflow's grammar takes a quoted value verbatim.
            var quote = modelName.Contains('\'', StringComparison.Ordinal) ? '"' : '\'';
            var versions = new List<ModelVersion>();
            string? token = null;
            do
            {
                var page = await client.SearchModelVersionsAsync($"name = {quote}{modelName}{quote}", ["version_number DESC"], 1000, token, cancellationToken);
                versions.AddRange(page.Items);
                token = page.NextPageToken;
            }
            while (token is not null);

            if (versions.Count == 0)
            {
                // Tell "no such model" from "no versions yet".
                await client.GetRegisteredModelAsync(modelName, cancellationToken);
            }

            if (output.Json)
            {
                await output.WriteJsonAsync(versions, cancellationToken);
            }
            else
            {
                output.Write(VersionsTable(versions));
            }

            return 0;
        });
        return command;
    }

    private static Command CreateModelsDownloadCommand()
    {
        var command = new Command("download", "Download a model's files (models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH) and print where they went.");
        var uri = new Argument<string>("MODEL_URI") { Description = "The model URI." };
        var destination = new Option<string>("--dest") { Description = "The folder to download into (default: the current folder).", DefaultValueFactory = _ => "." };
        command.Arguments.Add(uri);
        command.Options.Add(destination);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var target = Path.GetFullPath(parseResult.GetValue(destination)!);
            var files = await client.DownloadModelAsync(parseResult.GetValue(uri)!, target, cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { path = target, files }, cancellationToken);
            }
            else
            {
                await output.WriteLineAsync(target, cancellationToken);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateModelsHistoryCommand()
    {
        var command = new Command("history", "Every alias move and stage transition of a registered model, oldest first.");
        var name = new Argument<string>("NAME") { Description = "The registered model." };
        var alias = new Option<string?>("--alias") { Description = "Only this alias's moves." };
        command.Arguments.Add(name);
        command.Options.Add(alias);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var history = await client.GetRegistryHistoryAsync(parseResult.GetValue(name)!, parseResult.GetValue(alias), cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(history, cancellationToken);
                return 0;
            }

            var table = CliOutput.NewTable("When", "Kind", "Alias / stage", "From", "To", "Previous stage", "By");
            foreach (var h in history)
            {
                CliOutput.AddRow(table, CliOutput.Time(h.Time), h.Kind, h.Target, h.OldVersion ?? "-", h.NewVersion ?? "-", h.PreviousStage ?? "", h.UserId ?? "");
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateModelsAliasCommand()
    {
        var aliasCommand = new Command("alias", "Set or delete an alias of a registered model.");
        var set = new Command("set", "Point ALIAS of NAME at VERSION (moving it when it is set).");
        var name = new Argument<string>("NAME") { Description = "The registered model." };
        var alias = new Argument<string>("ALIAS") { Description = "The alias, e.g. champion." };
        var version = new Argument<string>("VERSION") { Description = "The version number." };
        set.Arguments.Add(name);
        set.Arguments.Add(alias);
        set.Arguments.Add(version);
        SetClientAction(set, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var (n, a, v) = (parseResult.GetValue(name)!, parseResult.GetValue(alias)!, parseResult.GetValue(version)!);
            await client.SetRegisteredModelAliasAsync(n, a, v, cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { name = n, alias = a, version = v }, cancellationToken);
            }
            else
            {
                await output.WriteLineAsync($"{n}@{a} → version {v}", cancellationToken);
            }

            return 0;
        });

        var delete = new Command("delete", "Remove ALIAS from NAME.");
        var deleteName = new Argument<string>("NAME") { Description = "The registered model." };
        var deleteAlias = new Argument<string>("ALIAS") { Description = "The alias." };
        delete.Arguments.Add(deleteName);
        delete.Arguments.Add(deleteAlias);
        SetClientAction(delete, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            await client.DeleteRegisteredModelAliasAsync(parseResult.GetValue(deleteName)!, parseResult.GetValue(deleteAlias)!, cancellationToken);
            await output.WriteLineAsync($"Deleted alias {parseResult.GetValue(deleteAlias)} of {parseResult.GetValue(deleteName)}.", cancellationToken);
            return 0;
        });
        aliasCommand.Subcommands.Add(set);
        aliasCommand.Subcommands.Add(delete);
        return aliasCommand;
    }

    private static Command CreateModelsEvaluateCommand()
    {
        var command = new Command("evaluate",
            "Score a labelled CSV or Parquet file with one or more models, print their metrics side by side, and log each model's metrics to a run.");
        var uris = new Argument<string[]>("MODEL_URI") { Description = "models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH … (several to compare).", Arity = ArgumentArity.OneOrMore };
        var data = new Option<string>("--data") { Description = "The labelled data (.csv or .parquet).", Required = true };
        var target = new Option<string>("--target") { Description = "The column with the true labels or values.", Required = true };
        var run = new Option<string?>("--run") { Description = "Log to this run (one model only); default: a new run per model." };
        var experiment = new Option<string?>("--experiment") { Description = "The experiment (name or id) of the new runs; default: Default." };
        var task = new Option<string>("--task") { Description = "auto, classification or regression.", DefaultValueFactory = _ => "auto" };
        task.AcceptOnlyFromAmong("auto", "classification", "regression");
        command.Arguments.Add(uris);
        command.Options.Add(data);
        command.Options.Add(target);
        command.Options.Add(run);
        command.Options.Add(experiment);
        command.Options.Add(task);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var models = parseResult.GetValue(uris)!;
            var runId = parseResult.GetValue(run);
            if (runId is not null && models.Length > 1)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("error: --run takes one model: each model's metrics would overwrite the others'.");
                return 1;
            }

            var experimentId = parseResult.GetValue(experiment) is { } e ? (await ResolveExperimentAsync(client, e, cancellationToken)).ExperimentId : null;
            var evaluations = new List<Keel.Client.Models.ModelEvaluation>();
            foreach (var uri in models)
            {
                evaluations.Add(await client.EvaluateModelAsync(uri, parseResult.GetValue(data)!, parseResult.GetValue(target)!, new Keel.Client.Models.EvaluateOptions
                {
                    RunId = runId,
                    ExperimentId = experimentId,
                    Task = Enum.Parse<Keel.Client.Models.EvaluationTask>(parseResult.GetValue(task)!, ignoreCase: true),
                }, cancellationToken));
            }

            if (output.Json)
            {
                await output.WriteJsonAsync(evaluations, cancellationToken);
                return 0;
            }

            var table = CliOutput.NewTable(["metric", .. evaluations.Select(ev => ev.ModelUri)]);
            foreach (var metric in evaluations.SelectMany(ev => ev.Metrics.Keys).Distinct(StringComparer.Ordinal))
            {
                CliOutput.AddRow(table, [metric, .. evaluations.Select(ev => ev.Metrics.TryGetValue(metric, out var v) ? CliOutput.Number(v) : "")]);
            }

            CliOutput.AddRow(table, ["run", .. evaluations.Select(ev => ev.RunId)]);
            output.Write(table);
            foreach (var ev in evaluations.Where(ev => ev.ConfusionMatrix is not null))
            {
                var matrix = CliOutput.NewTable([$"{ev.ModelUri}: true \\ predicted", .. ev.Classes!]);
                for (var i = 0; i < ev.Classes!.Count; i++)
                {
                    CliOutput.AddRow(matrix, [ev.Classes[i], .. ev.ConfusionMatrix![i].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
                }

                output.Write(matrix);
            }

            return 0;
        });
        return command;
    }

    private static Spectre.Console.Table VersionsTable(IEnumerable<ModelVersion> versions)
    {
        var table = CliOutput.NewTable("Name", "Version", "Stage", "Aliases", "Run", "Source", "Created");
        foreach (var v in versions)
        {
            CliOutput.AddRow(table, v.Name, v.Version, v.CurrentStage, string.Join(", ", v.Aliases), v.RunId ?? "", v.Source, CliOutput.Time(v.CreationTime));
        }

        return table;
    }
}
