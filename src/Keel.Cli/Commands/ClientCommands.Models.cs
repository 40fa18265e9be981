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
        var command = new Command("show", "Show a registered model, or one version of it (NAME, NAME/VERSION, models:/NAME@ALIAS …).");
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
