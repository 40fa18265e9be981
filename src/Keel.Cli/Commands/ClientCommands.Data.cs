using System.CommandLine;
using System.Globalization;
using Keel.Client;
using Spectre.Console;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateDataCommand()
    {
        var data = new Command("data", "Versioned datasets: add a file or folder (content-defined chunks, stored once), list, log, show, get, diff, rm, gc; profile, validate and suites for tabular files.");
        data.Subcommands.Add(CreateDataAddCommand());
        data.Subcommands.Add(CreateDataListCommand());
        data.Subcommands.Add(CreateDataLogCommand());
        data.Subcommands.Add(CreateDataShowCommand());
        data.Subcommands.Add(CreateDataGetCommand());
        data.Subcommands.Add(CreateDataDiffCommand());
        data.Subcommands.Add(CreateDataRemoveCommand());
        data.Subcommands.Add(CreateDataGcCommand());
        data.Subcommands.Add(CreateDataProfileCommand());
        data.Subcommands.Add(CreateDataValidateCommand());
        data.Subcommands.Add(CreateDataSuiteCommand());
        return data;
    }

    private static Command CreateDataAddCommand()
    {
        var command = new Command("add", "Add a version of a dataset from a file or a folder; only chunks the server lacks are uploaded.");
        var name = new Argument<string>("NAME") { Description = "The dataset (created with its first version)." };
        var path = new Argument<string>("PATH") { Description = "A file, or a folder whose files make the version." };
        var message = new Option<string?>("--message", "-m") { Description = "What changed." };
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Add straight into a local Keel data folder (what `keel server --data-dir` uses) in this process, without a server: chunks are hashed once and written, not uploaded.",
        };
        command.Arguments.Add(name);
        command.Arguments.Add(path);
        command.Options.Add(message);
        command.Options.Add(dataDir);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = await WithDataProgressAsync("adding", progress => parse.GetValue(dataDir) is { } local
                ? LocalDatasets.AddAsync(local, parse.GetValue(name)!, parse.GetValue(path)!, parse.GetValue(message), progress, ct)
                : client.AddDatasetVersionAsync(parse.GetValue(name)!, parse.GetValue(path)!, parse.GetValue(message), progress, ct));
            if (output.Json)
            {
                await output.WriteJsonAsync(result, ct);
                return 0;
            }

            var v = result.Version;
            var seconds = started.Elapsed.TotalSeconds;
            var what = string.Create(CultureInfo.InvariantCulture,
                $"{(result.Created ? "Added" : "Unchanged:")} {v.Name}@{v.Id} (version {v.Number}): {v.FileCount} file{(v.FileCount == 1 ? "" : "s")}, {CliOutput.Bytes(v.SizeBytes)};");
            var how = string.Create(CultureInfo.InvariantCulture,
                $"{result.ChunksUploaded} of {result.Chunks} chunks new ({CliOutput.Bytes(result.BytesUploaded)} uploaded) in {seconds:F2} s ({v.SizeBytes / Math.Max(seconds, 1e-6) / 1e6:F0} MB/s).");
            await output.WriteLineAsync(what + " " + how, ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDataListCommand()
    {
        var command = new Command("ls", "List datasets.");
        var filter = new Argument<string?>("FILTER") { Description = "Only names containing this.", Arity = ArgumentArity.ZeroOrOne };
        command.Arguments.Add(filter);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var datasets = await client.ListDatasetsAsync(parse.GetValue(filter), ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(datasets, ct);
                return 0;
            }

            var table = CliOutput.NewTable("Name", "Versions", "Latest", "Updated");
            foreach (var d in datasets)
            {
                CliOutput.AddRow(table, d.Name, d.VersionCount.ToString(CultureInfo.InvariantCulture), d.LatestVersion ?? "",
                    CliOutput.Time(DateTimeOffset.FromUnixTimeMilliseconds(d.LastUpdatedTime)));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateDataLogCommand()
    {
        var command = new Command("log", "A dataset's versions, newest first.");
        var name = new Argument<string>("NAME") { Description = "The dataset." };
        var all = new Option<bool>("--all") { Description = "Include deleted versions." };
        command.Arguments.Add(name);
        command.Options.Add(all);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var versions = await client.ListDatasetVersionsAsync(parse.GetValue(name)!, parse.GetValue(all), ct);
            await WriteDatasetVersionsAsync(output, versions, ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDataShowCommand()
    {
        var command = new Command("show", "A version's files and the runs that used it: NAME[@VERSION] (id, id prefix, number; default latest).");
        var reference = new Argument<string>("NAME[@VERSION]") { Description = "The dataset and version." };
        command.Arguments.Add(reference);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var (name, version) = DatasetReference(parse.GetValue(reference)!);
            var details = await client.GetDatasetVersionAsync(name, version, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { details.Version, Files = details.Files.Select(f => new { f.Path, f.Size, Chunks = f.Chunks.Count }), details.Runs }, ct);
                return 0;
            }

            await WriteDatasetVersionsAsync(output, [details.Version], ct);
            var files = CliOutput.NewTable("File", "Size", "Chunks");
            foreach (var file in details.Files)
            {
                CliOutput.AddRow(files, file.Path, CliOutput.Bytes(file.Size), file.Chunks.Count.ToString(CultureInfo.InvariantCulture));
            }

            output.Write(files);
            await output.WriteLineAsync(details.Runs.Count == 0 ? "No run used this version." : "Used by runs: " + string.Join(", ", details.Runs), ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDataGetCommand()
    {
        var command = new Command("get", "Write a version's files into a folder, verifying every chunk's hash: NAME[@VERSION] DEST.");
        var reference = new Argument<string>("NAME[@VERSION]") { Description = "The dataset and version (default latest)." };
        var destination = new Argument<string>("DEST") { Description = "The folder to write into (created when missing)." };
        var cache = new Option<string?>("--cache-dir") { Description = "Chunk cache (default $KEEL_DATA_CACHE or ~/.local/share/keel/chunks)." };
        command.Arguments.Add(reference);
        command.Arguments.Add(destination);
        command.Options.Add(cache);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var (name, version) = DatasetReference(parse.GetValue(reference)!);
            var details = await WithDataProgressAsync("getting", progress =>
                client.DownloadDatasetVersionAsync(name, version, parse.GetValue(destination)!, parse.GetValue(cache), progress, ct));
            if (output.Json)
            {
                await output.WriteJsonAsync(details.Version, ct);
                return 0;
            }

            var v = details.Version;
            await output.WriteLineAsync($"Wrote {v.Name}@{v.Id} (version {v.Number}): {v.FileCount} file{(v.FileCount == 1 ? "" : "s")}, {CliOutput.Bytes(v.SizeBytes)} into {parse.GetValue(destination)}.", ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDataDiffCommand()
    {
        var command = new Command("diff", "What differs between two versions, file by file: A B, each NAME[@VERSION] (B may be @VERSION of A's dataset).");
        var first = new Argument<string>("A") { Description = "The first version." };
        var second = new Argument<string>("B") { Description = "The second version." };
        command.Arguments.Add(first);
        command.Arguments.Add(second);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var (fromName, fromVersion) = DatasetReference(parse.GetValue(first)!);
            var (toName, toVersion) = DatasetReference(parse.GetValue(second)!);
            var diff = await client.DiffDatasetVersionsAsync(fromName, fromVersion, toName.Length == 0 ? fromName : toName, toVersion, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(diff, ct);
                return 0;
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{diff.From.Name}@{diff.From.Id} (version {diff.From.Number}) → {diff.To.Name}@{diff.To.Id} (version {diff.To.Number}): {diff.Changes.Count} file{(diff.Changes.Count == 1 ? "" : "s")} differ, {diff.Unchanged} unchanged."), ct);
            if (diff.Changes.Count > 0)
            {
                var table = CliOutput.NewTable("File", "Change", "Size before", "Size after", "New bytes");
                foreach (var c in diff.Changes)
                {
                    CliOutput.AddRow(table, c.Path, c.Change, c.OldSize is { } o ? CliOutput.Bytes(o) : "", c.NewSize is { } n ? CliOutput.Bytes(n) : "", CliOutput.Bytes(c.NewBytes));
                }

                output.Write(table);
            }

            foreach (var t in diff.Tables)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Path}: rows {t.RowsBefore?.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} → {t.RowsAfter?.ToString("N0", CultureInfo.InvariantCulture) ?? "-"}{(t.ColumnsAdded.Count > 0 ? "; columns added: " + string.Join(", ", t.ColumnsAdded) : "")}{(t.ColumnsRemoved.Count > 0 ? "; columns removed: " + string.Join(", ", t.ColumnsRemoved) : "")}"), ct);
                var columns = CliOutput.NewTable("Column", "Type", "Missing", "Distinct", "Mean", "Min", "Max", "PSI", "New categories");
                foreach (var c in t.Columns)
                {
                    static string Move(double? a, double? b) => a is null && b is null ? "" : $"{(a is { } x ? CliOutput.Number(x) : "-")} → {(b is { } y ? CliOutput.Number(y) : "-")}";
                    CliOutput.AddRow(columns, c.Name, c.TypeBefore == c.TypeAfter ? c.TypeAfter : $"{c.TypeBefore} → {c.TypeAfter}",
                        Move(c.MissingShareBefore, c.MissingShareAfter), Move(c.DistinctBefore, c.DistinctAfter),
                        Move(c.MeanBefore, c.MeanAfter), Move(c.MinBefore, c.MinAfter), Move(c.MaxBefore, c.MaxAfter),
                        c.Psi is { } psi ? CliOutput.Number(psi) : "", c.NewCategories is { Count: > 0 } added ? string.Join(", ", added.Take(5)) : "");
                }

                output.Write(columns);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateDataRemoveCommand()
    {
        var command = new Command("rm", "Delete a version (NAME@VERSION) or a whole dataset (NAME); `keel data gc` frees the chunks.");
        var reference = new Argument<string>("NAME[@VERSION]") { Description = "The dataset, or one version of it." };
        command.Arguments.Add(reference);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var (name, version) = DatasetReference(parse.GetValue(reference)!);
            await client.DeleteDatasetAsync(name, version, ct);
            await output.WriteLineAsync(version is null ? $"Deleted dataset {name}." : $"Deleted {name}@{version}.", ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDataGcCommand()
    {
        var command = new Command("gc", "Free chunks no live version (nor a version a run used) references.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Only count what would be freed." };
        var grace = new Option<double?>("--grace-seconds") { Description = "Spare chunks an add claimed this recently (default: the server's, one hour)." };
        command.Options.Add(dryRun);
        command.Options.Add(grace);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var result = await client.CollectDatasetGarbageAsync(parse.GetValue(dryRun),
                parse.GetValue(grace) is { } s ? TimeSpan.FromSeconds(s) : null, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(result, ct);
                return 0;
            }

            var kept = result.ChunksKept > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {result.ChunksKept} kept (claimed by an add meanwhile)") : "";
            var packs = result.PacksDeleted + result.PacksRewritten > 0
                ? string.Create(CultureInfo.InvariantCulture, $"; pack files: {result.PacksDeleted} deleted, {result.PacksRewritten} rewritten without their freed chunks")
                : "";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{(result.DryRun ? "Would free" : "Freed")} {result.ChunksDeleted} chunk{(result.ChunksDeleted == 1 ? "" : "s")} ({CliOutput.Bytes(result.BytesFreed)}){kept}{packs}."), ct);
            return 0;
        });
        return command;
    }

    /// <summary>NAME or NAME@VERSION.</summary>
    private static (string Name, string? Version) DatasetReference(string text)
    {
        var at = text.LastIndexOf('@');
        return at < 0 ? (text, null) : (text[..at], text[(at + 1)..] is { Length: > 0 } v ? v : null);
    }

    private static async Task WriteDatasetVersionsAsync(CliOutput output, IReadOnlyList<DatasetVersionInfo> versions, CancellationToken ct)
    {
        if (output.Json)
        {
            await output.WriteJsonAsync(versions, ct);
            return;
        }

        var table = CliOutput.NewTable("#", "Id", "Size", "Files", "Rows", "Author", "Created", "Message");
        foreach (var v in versions)
        {
            CliOutput.AddRow(table, v.Number.ToString(CultureInfo.InvariantCulture) + (v.Deleted ? " (deleted)" : ""), v.Id, CliOutput.Bytes(v.SizeBytes),
                v.FileCount.ToString(CultureInfo.InvariantCulture), v.RowCount?.ToString(CultureInfo.InvariantCulture) ?? "", v.Author ?? "",
                CliOutput.Time(DateTimeOffset.FromUnixTimeMilliseconds(v.CreationTime)), v.Message ?? "");
        }

        output.Write(table);
    }

    /// <summary>A progress bar on stderr when it is a terminal; nothing otherwise (the result line says it all).</summary>
    private static async Task<T> WithDataProgressAsync<T>(string verb, Func<IProgress<DatasetProgress>?, Task<T>> run)
    {
        if (Console.IsErrorRedirected)
        {
            return await run(null);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(verb, maxValue: 1);
                var progress = new Progress<DatasetProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.BytesTotal);
                    task.Value = p.BytesDone;
                });
                var result = await run(progress);
                task.Value = task.MaxValue;
                return result;
            });
    }
}
