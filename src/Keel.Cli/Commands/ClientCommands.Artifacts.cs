using System.CommandLine;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateArtifactsCommand()
    {
        var artifacts = new Command("artifacts", "List and download run artifacts.");
        artifacts.Subcommands.Add(CreateArtifactsListCommand());
        artifacts.Subcommands.Add(CreateArtifactsDownloadCommand());
        return artifacts;
    }

    private static Command CreateArtifactsListCommand()
    {
        var command = new Command("list", "List one folder of a run's artifacts.");
        var runId = new Argument<string>("RUN_ID") { Description = "The run id." };
        var path = new Argument<string?>("PATH")
        {
            Description = "The artifact folder (default: the root).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        command.Arguments.Add(runId);
        command.Arguments.Add(path);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var files = await client.ListArtifactsAsync(parseResult.GetValue(runId)!, parseResult.GetValue(path), cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(files, cancellationToken);
                return 0;
            }

            var table = CliOutput.NewTable("Path", "Type", "Size");
            foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                CliOutput.AddRow(table, file.Path, file.IsDir ? "folder" : "file", CliOutput.Bytes(file.FileSize));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateArtifactsDownloadCommand()
    {
        var command = new Command("download", "Download an artifact file or folder (use '.' for everything) and print where it went.");
        var runId = new Argument<string>("RUN_ID") { Description = "The run id." };
        var path = new Argument<string>("PATH") { Description = "The artifact file or folder, relative to the run's artifact root." };
        var destination = new Option<string>("--dest")
        {
            Description = "The local folder to download into (default: the current folder).",
            DefaultValueFactory = _ => ".",
        };
        command.Arguments.Add(runId);
        command.Arguments.Add(path);
        command.Options.Add(destination);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var local = await client.DownloadArtifactsAsync(
                parseResult.GetValue(runId)!, parseResult.GetValue(path), parseResult.GetValue(destination) ?? ".", cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { local_path = local }, cancellationToken);
            }
            else
            {
                await output.WriteLineAsync(local, cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
