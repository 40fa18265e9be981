using System.CommandLine;
using Keel.Client;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateRunsCommand()
    {
        var runs = new Command("runs", "Search and show runs on a tracking server.");
        runs.Subcommands.Add(CreateRunsSearchCommand());
        runs.Subcommands.Add(CreateRunsShowCommand());
        return runs;
    }

    private static Command CreateRunsSearchCommand()
    {
        var command = new Command("search", "Search runs with MLflow's filter language.");
        var experiment = new Option<string[]>("--experiment")
        {
            Description = "An experiment name or id to search (repeatable).",
            Required = true,
        };
        var filter = new Option<string?>("--filter")
        {
            Description = "An MLflow filter, e.g. \"metrics.rmse < 0.5 AND params.model = 'tree'\".",
        };
        var orderBy = new Option<string[]>("--order-by")
        {
            Description = "A sort key such as 'metrics.rmse ASC' (repeatable; default: newest first).",
        };
        var maxResults = new Option<int>("--max-results")
        {
            Description = "The most runs to show.",
            DefaultValueFactory = _ => 100,
        };
        var view = CreateViewOption();
        command.Options.Add(experiment);
        command.Options.Add(filter);
        command.Options.Add(orderBy);
        command.Options.Add(maxResults);
        command.Options.Add(view);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var experimentIds = new List<string>();
            foreach (var idOrName in parseResult.GetValue(experiment) ?? [])
            {
                experimentIds.Add((await ResolveExperimentAsync(client, idOrName, cancellationToken)).ExperimentId);
            }

            var max = Math.Max(1, parseResult.GetValue(maxResults));
            var found = new List<Run>();
            await foreach (var run in client.EnumerateRunsAsync(
                experimentIds,
                parseResult.GetValue(filter),
                parseResult.GetValue(orderBy) is { Length: > 0 } keys ? keys : null,
                ParseViewType(parseResult.GetValue(view)),
                Math.Min(max, 1000),
                cancellationToken))
            {
                found.Add(run);
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

            var table = CliOutput.NewTable("Run ID", "Name", "Status", "Started", "Duration", "Metrics", "Params");
            foreach (var run in found)
            {
                CliOutput.AddRow(
                    table,
                    run.Info.RunId,
                    run.Info.RunName,
                    CliOutput.Status(run.Info.Status),
                    CliOutput.Time(run.Info.StartTime),
                    CliOutput.Duration(run.Info),
                    Summary(run.Data.Metrics.Values.Select(m => (m.Key, CliOutput.Number(m.Value)))),
                    Summary(run.Data.Params.Select(p => (p.Key, p.Value))));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateRunsShowCommand()
    {
        var command = new Command("show", "Show a run: its metadata, parameters, latest metrics and tags.");
        var runId = new Argument<string>("RUN_ID") { Description = "The run id." };
        command.Arguments.Add(runId);
        SetClientAction(command, new CommonOptions(), async (parseResult, client, output, cancellationToken) =>
        {
            var run = await client.GetRunAsync(parseResult.GetValue(runId)!, cancellationToken);
            if (output.Json)
            {
                await output.WriteJsonAsync(run, cancellationToken);
                return 0;
            }

            var info = CliOutput.NewTable("Field", "Value");
            CliOutput.AddRow(info, "Run ID", run.Info.RunId);
            CliOutput.AddRow(info, "Name", run.Info.RunName);
            CliOutput.AddRow(info, "Experiment", run.Info.ExperimentId);
            CliOutput.AddRow(info, "Status", CliOutput.Status(run.Info.Status));
            CliOutput.AddRow(info, "User", run.Info.UserId);
            CliOutput.AddRow(info, "Started", CliOutput.Time(run.Info.StartTime));
            CliOutput.AddRow(info, "Ended", CliOutput.Time(run.Info.EndTime));
            CliOutput.AddRow(info, "Duration", CliOutput.Duration(run.Info));
            CliOutput.AddRow(info, "Artifacts", run.Info.ArtifactUri);
            CliOutput.AddRow(info, "Stage", run.Info.LifecycleStage);
            output.Write(info);

            if (run.Data.Params.Count > 0)
            {
                var parameters = CliOutput.NewTable("Param", "Value");
                foreach (var (key, value) in run.Data.Params.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    CliOutput.AddRow(parameters, key, value);
                }

                output.Write(parameters);
            }

            if (run.Data.Metrics.Count > 0)
            {
                var metrics = CliOutput.NewTable("Metric", "Value", "Step", "Time");
                foreach (var metric in run.Data.Metrics.Values.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    CliOutput.AddRow(
                        metrics, metric.Key, CliOutput.Number(metric.Value), metric.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), CliOutput.Time(metric.Timestamp));
                }

                output.Write(metrics);
            }

            if (run.Data.Tags.Count > 0)
            {
                var tags = CliOutput.NewTable("Tag", "Value");
                foreach (var (key, value) in run.Data.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
                {
                    CliOutput.AddRow(tags, key, value);
                }

                output.Write(tags);
            }

            return 0;
        });
        return command;
    }

    /// <summary>"a=1, b=2, …" with at most four entries, so a table row stays readable.</summary>
    private static string Summary(IEnumerable<(string Key, string Value)> pairs)
    {
        const int Shown = 4;
        var sorted = pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var text = string.Join(", ", sorted.Take(Shown).Select(p => $"{p.Key}={p.Value}"));
        return sorted.Count > Shown ? $"{text}, … (+{sorted.Count - Shown})" : text;
    }
}
