using System.CommandLine;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Reports;
using Keel.Tabular;

namespace Keel.Cli.Commands;

/// <summary>`keel monitor …`: drift reports, monitors and feedback (issue 7).</summary>
public static partial class ClientCommands
{
    private static Command CreateMonitorCommand()
    {
        var command = new Command("monitor", "Data and prediction drift, model quality with delayed ground truth, monitors and alerts.");
        command.Subcommands.Add(CreateMonitorReportCommand());
        command.Subcommands.Add(CreateMonitorCreateCommand());
        command.Subcommands.Add(CreateMonitorListCommand());
        command.Subcommands.Add(CreateMonitorShowCommand());
        command.Subcommands.Add(CreateMonitorRunCommand());
        command.Subcommands.Add(CreateMonitorDeleteCommand());
        command.Subcommands.Add(CreateMonitorFeedbackCommand());
        command.Subcommands.Add(CreateMonitorAlertCommand());
        return command;
    }

    private static Command CreateMonitorReportCommand()
    {
        var command = new Command(
            "report",
            "Compare current data with a reference (two .csv/.parquet/.jsonl files; no server needed) and write a drift report: the dataset verdict, a table per feature (method, statistic, threshold, drift), overlaid histograms, and model quality when --target and --prediction are given. HTML opens offline; JSON is the same report for programs.");
        var reference = new Option<string?>("--reference", "-r") { Description = "The reference: a local file, or NAME@VERSION of a dataset (its stored profile)." };
        var current = new Option<string?>("--current", "-c") { Description = "The current data: a local file." };
        var monitor = new Option<string?>("--monitor") { Description = "Instead of two files: the stored report of a monitor's window (the latest, or --window-end)." };
        var windowEnd = new Option<long?>("--window-end") { Description = "With --monitor: the window's end, Unix milliseconds." };
        var outputFile = new Option<string>("--output", "-o") { Description = "report.html or report.json.", Required = true };
        var target = new Option<string?>("--target") { Description = "The column of true values: its drift, and quality with --prediction." };
        var prediction = new Option<string?>("--prediction") { Description = "The column of the model's predictions: prediction drift, and quality with --target." };
        var task = new Option<string?>("--task") { Description = "classification or regression (default: from the target column: text or ≤ 20 distinct integers are classes)." };
        var features = new Option<string?>("--features") { Description = "Comma-separated features to compare (default: every shared column but target and prediction)." };
        var numericalMethod = new Option<string?>("--numerical-method") { Description = "ks, wasserstein, jensen_shannon or psi (default: ks up to 1,000 reference rows, else wasserstein)." };
        var categoricalMethod = new Option<string?>("--categorical-method") { Description = "chi_square, jensen_shannon or psi (default: chi_square up to 1,000 reference rows, else jensen_shannon)." };
        var numericalThreshold = new Option<double?>("--numerical-threshold") { Description = "Threshold of the numerical method (p-value below it, or distance at or above it, is drift)." };
        var categoricalThreshold = new Option<double?>("--categorical-threshold") { Description = "Threshold of the categorical method." };
        var driftShare = new Option<double>("--drift-share") { Description = "Share of drifted features from which the dataset drifts.", DefaultValueFactory = _ => 0.5 };
        var title = new Option<string?>("--title") { Description = "The report's title." };
        var failOnDrift = new Option<bool>("--fail-on-drift") { Description = "Exit with code 1 when the dataset drifts (for CI and pipelines)." };
        foreach (var option in new Option[] { reference, current, monitor, windowEnd, outputFile, target, prediction, task, features, numericalMethod, categoricalMethod, numericalThreshold, categoricalThreshold, driftShare, title, failOnDrift })
        {
            command.Options.Add(option);
        }

        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var outputPath = parse.GetValue(outputFile)!;
            var html = outputPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || outputPath.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);
            if (!html && !outputPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --output must end in .html or .json, got '{outputPath}'.");
                return 1;
            }

            if (parse.GetValue(monitor) is { } monitorName)
            {
                var stored = await client.GetMonitorReportAsync(monitorName, parse.GetValue(windowEnd), ct);
                await File.WriteAllTextAsync(outputPath, html ? ReportHtml.Render(stored) : stored.ToJson(), ct);
                await WriteReportSummaryAsync(output, stored, ct);
                await output.WriteLineAsync($"Report written to {outputPath}", ct);
                return parse.GetValue(failOnDrift) && stored.DataDrift.DatasetDrift ? 1 : 0;
            }

            if (parse.GetValue(reference) is not { } referenceText || parse.GetValue(current) is not { } currentPath)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: give --reference and --current (two files), or --monitor NAME.");
                return 1;
            }

            var options = new ReportOptions
            {
                Title = parse.GetValue(title) ?? $"Drift: {Path.GetFileName(currentPath)} against {Path.GetFileName(referenceText)}",
                Target = parse.GetValue(target),
                Prediction = parse.GetValue(prediction),
                Task = parse.GetValue(task),
                Drift = new DriftOptions
                {
                    Features = parse.GetValue(features)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    NumericalMethod = parse.GetValue(numericalMethod),
                    CategoricalMethod = parse.GetValue(categoricalMethod),
                    NumericalThreshold = parse.GetValue(numericalThreshold),
                    CategoricalThreshold = parse.GetValue(categoricalThreshold),
                    DriftShare = parse.GetValue(driftShare),
                },
            };

            MonitoringReport report;
            try
            {
                options.Drift.Validate();
                var currentTable = await TableReader.ReadAsync(currentPath, ct);
                if (File.Exists(referenceText))
                {
                    report = ReportBuilder.Build(await TableReader.ReadAsync(referenceText, ct), currentTable, referenceText, currentPath, options, TimeProvider.System);
                }
                else
                {
                    var (name, version) = DatasetReference(referenceText);
                    var profiles = await client.GetDatasetProfilesAsync(name, version, compute: false, ct);
                    if (profiles.Count == 0)
                    {
                        throw new ArgumentException($"'{referenceText}' is neither a local file nor a dataset version with a tabular profile.");
                    }

                    var (path, profile) = profiles.OrderBy(p => p.Key, StringComparer.Ordinal).First();
                    report = ReportBuilder.Build(DriftData.FromProfile(profile), null, currentTable, $"{referenceText}:{path}", currentPath, options, TimeProvider.System);
                }
            }
            catch (ArgumentException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }

            await File.WriteAllTextAsync(outputPath, html ? ReportHtml.Render(report) : report.ToJson(), ct);
            var drift = report.DataDrift;
            if (output.Json)
            {
                await output.WriteJsonAsync(new { dataset_drift = drift.DatasetDrift, drifted_features = drift.DriftedFeatures, feature_count = drift.FeatureCount, output = outputPath }, ct);
            }
            else
            {
                await WriteReportSummaryAsync(output, report, ct);
                await output.WriteLineAsync($"Report written to {outputPath}", ct);
            }

            return parse.GetValue(failOnDrift) && drift.DatasetDrift ? 1 : 0;
        });
        return command;
    }
}
