using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Keel.Core.Monitoring;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;
using Keel.Monitoring.Reports;
using Keel.Tabular;

namespace Keel.Cli.Commands;

/// <summary>`keel monitor create|list|show|run|delete|feedback` (issue 7).</summary>
public static partial class ClientCommands
{
    private static Command CreateMonitorCreateCommand()
    {
        var command = new Command("create", "Create a monitor over a deployment's live traffic: drift against a reference dataset (or the model's training data), data quality, and quality once feedback arrives; it runs on its schedule inside keel server.");
        var name = new Argument<string>("NAME") { Description = "The monitor's name." };
        var deployment = new Option<string>("--deployment", "-d") { Description = "The deployment to watch.", Required = true };
        var dataset = new Option<string?>("--reference-dataset") { Description = "NAME[@VERSION] of the dataset whose profile is the reference." };
        var artifact = new Option<string?>("--reference-artifact") { Description = "A tabular run artifact as the reference: runs:/RUN_ID/path/file.csv (or .parquet, .jsonl)." };
        var training = new Option<bool>("--training-data") { Description = "Use the dataset version the deployed model's run recorded as its (training) input." };
        var table = new Option<string?>("--table") { Description = "Which tabular file of a multi-file reference version (default: the first by path)." };
        var referenceTarget = new Option<string?>("--reference-target") { Description = "The reference's label column: target drift of the feedback, and prediction drift when the reference has no prediction column." };
        var features = new Option<string?>("--features") { Description = "Comma-separated input columns to test (default: every reference column the requests carry)." };
        var prediction = new Option<string?>("--prediction") { Description = "The model output compared with feedback (default: the only output, or label)." };
        var probabilities = new Option<string?>("--probabilities") { Description = "The output with class probabilities, for estimated accuracy (default: probabilities)." };
        var task = new Option<string?>("--task") { Description = "classification or regression (default: from the labels)." };
        var window = new Option<string?>("--window") { Description = "Window length: 90s, 15m, 1h, 2d (default 1h)." };
        var windowRequests = new Option<int?>("--window-requests") { Description = "Instead of a time window, the latest N requests." };
        var maxRows = new Option<int?>("--max-rows") { Description = "Requests read per window at most, evenly sampled beyond (default 100000)." };
        var schedule = new Option<string?>("--schedule") { Description = "How often it runs inside keel server: 5m, 1h… or 0 for on demand (default 5m)." };
        var numericalMethod = new Option<string?>("--numerical-method") { Description = "ks, wasserstein, jensen_shannon or psi." };
        var categoricalMethod = new Option<string?>("--categorical-method") { Description = "chi_square, jensen_shannon or psi." };
        var numericalThreshold = new Option<double?>("--numerical-threshold") { Description = "Threshold of the numerical method." };
        var categoricalThreshold = new Option<double?>("--categorical-threshold") { Description = "Threshold of the categorical method." };
        var driftShare = new Option<double?>("--drift-share") { Description = "Share of drifted features from which the dataset drifts (default 0.5)." };
        command.Arguments.Add(name);
        foreach (var option in new Option[] { deployment, dataset, artifact, training, table, referenceTarget, features, prediction, probabilities, task, window, windowRequests, maxRows, schedule, numericalMethod, categoricalMethod, numericalThreshold, categoricalThreshold, driftShare })
        {
            command.Options.Add(option);
        }

        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var drift = new DriftOptions
            {
                NumericalMethod = parse.GetValue(numericalMethod),
                CategoricalMethod = parse.GetValue(categoricalMethod),
                NumericalThreshold = parse.GetValue(numericalThreshold),
                CategoricalThreshold = parse.GetValue(categoricalThreshold),
                DriftShare = parse.GetValue(driftShare) ?? DriftOptions.Default.DriftShare,
            };
            var spec = new MonitorSpec
            {
                Deployment = parse.GetValue(deployment)!,
                Reference = new MonitorReference { Dataset = parse.GetValue(dataset), Artifact = parse.GetValue(artifact), TrainingData = parse.GetValue(training), Table = parse.GetValue(table), Target = parse.GetValue(referenceTarget) },
                Features = parse.GetValue(features)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Prediction = parse.GetValue(prediction),
                Probabilities = parse.GetValue(probabilities),
                Task = parse.GetValue(task),
                WindowSeconds = parse.GetValue(window) is { } w ? Seconds(w, "--window") : null,
                WindowRequests = parse.GetValue(windowRequests),
                MaxRows = parse.GetValue(maxRows) ?? MonitorSpec.DefaultMaxRows,
                ScheduleSeconds = parse.GetValue(schedule) is { } s ? Seconds(s, "--schedule") : MonitorSpec.DefaultScheduleSeconds,
                Drift = drift == new DriftOptions() ? null : drift,
            };
            var monitor = await client.CreateMonitorAsync(parse.GetValue(name)!, spec, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(monitor, ct);
            }
            else
            {
                await output.WriteLineAsync($"Created monitor {monitor.Name} on deployment {monitor.Deployment} ({Describe(monitor.Spec)}).", ct);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateMonitorListCommand()
    {
        var command = new Command("list", "The monitors, or one deployment's.");
        var deployment = new Option<string?>("--deployment", "-d") { Description = "Only this deployment's monitors." };
        command.Options.Add(deployment);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var monitors = await client.ListMonitorsAsync(parse.GetValue(deployment), ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(monitors, ct);
                return 0;
            }

            var table = CliOutput.NewTable("Name", "Deployment", "Reference", "Window / schedule", "Last run");
            foreach (var m in monitors)
            {
                CliOutput.AddRow(table, m.Name, m.Deployment, Reference(m.Spec), Describe(m.Spec), Time(m.LastRunTime));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateMonitorShowCommand()
    {
        var command = new Command("show", "A monitor's spec and its latest windows: rows, drift share, dataset drift, quality.");
        var name = new Argument<string>("NAME");
        var count = new Option<int>("--windows") { Description = "How many recent windows to list.", DefaultValueFactory = _ => 10 };
        command.Arguments.Add(name);
        command.Options.Add(count);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var monitor = await client.GetMonitorAsync(parse.GetValue(name)!, ct);
            var windows = await client.GetMonitorResultsAsync(monitor.Name, maxResults: parse.GetValue(count), cancellationToken: ct);
            var series = await client.GetMonitorMetricsAsync(monitor.Name, feature: "", since: windows.Count == 0 ? null : windows[^1].WindowEnd, cancellationToken: ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { monitor, windows }, ct);
                return 0;
            }

            await output.WriteLineAsync($"{monitor.Name}: deployment {monitor.Deployment}, reference {Reference(monitor.Spec)}, {Describe(monitor.Spec)}", ct);
            var table = CliOutput.NewTable("Window end", "Rows", "Labelled", "Drift share", "Dataset drift", "Accuracy", "Estimated accuracy");
            foreach (var w in windows)
            {
                string Metric(string metric) => series.FirstOrDefault(p => p.WindowEnd == w.WindowEnd && p.Metric == metric) is { } p ? CliOutput.Number(p.Value) : "";
                CliOutput.AddRow(table, Time(w.WindowEnd), w.Rows.ToString("N0", CultureInfo.InvariantCulture), Metric("rows_with_actual"),
                    Metric("drift_share"), w.DatasetDrift ? "DRIFT" : "no", Metric("accuracy"), Metric("estimated_accuracy"));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateMonitorRunCommand()
    {
        var command = new Command("run", "Compute a monitor's window now (ending now, or at --window-end) and print it; the result is stored like a scheduled run.");
        var name = new Argument<string>("NAME");
        var end = new Option<long?>("--window-end") { Description = "The window's end, Unix milliseconds (default: now)." };
        var failOnDrift = new Option<bool>("--fail-on-drift") { Description = "Exit with code 1 when the window finds dataset drift." };
        command.Arguments.Add(name);
        command.Options.Add(end);
        command.Options.Add(failOnDrift);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var report = await client.RunMonitorAsync(parse.GetValue(name)!, parse.GetValue(end), ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(JsonDocument.Parse(report.ToJson()).RootElement, ct);
            }
            else
            {
                var w = report.Window!;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Window {Time(w.Start)} – {Time(w.End)}: {w.Rows:N0} rows from {w.RequestsRead:N0} requests{(w.SampledEvery > 1 ? $" (every {w.SampledEvery}th of {w.RequestsInWindow:N0})" : "")}, {w.RowsWithActual:N0} labelled."), ct);
                await WriteReportSummaryAsync(output, report, ct);
            }

            return parse.GetValue(failOnDrift) && report.DataDrift.DatasetDrift ? 1 : 0;
        });
        return command;
    }

    private static Command CreateMonitorDeleteCommand()
    {
        var command = new Command("delete", "Delete a monitor and its stored windows.");
        var name = new Argument<string>("NAME");
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await client.DeleteMonitorAsync(parse.GetValue(name)!, ct);
            await output.WriteLineAsync($"Deleted monitor {parse.GetValue(name)}.", ct);
            return 0;
        });
        return command;
    }

    private static Command CreateMonitorFeedbackCommand()
    {
        var command = new Command("feedback", "Send ground truth for logged predictions: FILE (.csv/.parquet/.jsonl) has a request id column and an actual column. Unknown request ids are counted, not errors; the latest feedback for a request wins.");
        var file = new Argument<string>("FILE");
        var idColumn = new Option<string>("--id-column") { Description = "The request id column.", DefaultValueFactory = _ => "request_id" };
        var actualColumn = new Option<string>("--actual-column") { Description = "The true value column.", DefaultValueFactory = _ => "actual" };
        command.Arguments.Add(file);
        command.Options.Add(idColumn);
        command.Options.Add(actualColumn);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var table = await TableReader.ReadAsync(parse.GetValue(file)!, ct);
            string idName = parse.GetValue(idColumn)!, actualName = parse.GetValue(actualColumn)!;
            foreach (var column in new[] { idName, actualName }.Where(c => !table.Contains(c)))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: '{column}' is not a column of {parse.GetValue(file)} (columns: {string.Join(", ", table.ColumnNames)}).");
                return 1;
            }

            Column ids = table[idName], actuals = table[actualName];
            var items = new List<FeedbackItem>(table.RowCount);
            var skipped = 0;
            for (var row = 0; row < table.RowCount; row++)
            {
                if (ids.GetString(row) is not { Length: > 0 } id || actuals.IsMissing(row))
                {
                    skipped++;
                    continue;
                }

                items.Add(new FeedbackItem(id, actuals.IsNumeric ? actuals.GetString(row)! : JsonSerializer.Serialize(actuals.GetString(row))));
            }

            var result = await client.LogFeedbackAsync(items, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(new { result.Accepted, result.Replaced, result.Unknown, result.UnknownRequestIds, skipped_rows = skipped }, ct);
            }
            else
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Feedback: {result.Accepted:N0} stored ({result.Replaced:N0} replaced earlier values), {result.Unknown:N0} unknown request ids{(result.Unknown > 0 ? $" (e.g. {string.Join(", ", result.UnknownRequestIds.Take(5))})" : "")}, {skipped:N0} rows without an id or a value skipped."), ct);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The verdict line and the per-feature table of a report.</summary>
    private static async Task WriteReportSummaryAsync(CliOutput output, MonitoringReport report, CancellationToken ct)
    {
        var drift = report.DataDrift;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Dataset drift: {(drift.DatasetDrift ? "DETECTED" : "not detected")} — {drift.DriftedFeatures} of {drift.FeatureCount} features drifted (threshold {drift.DriftShareThreshold:P0})"), ct);
        var table = CliOutput.NewTable("Feature", "Kind", "Method", "Statistic", "Threshold", "Drift");
        foreach (var f in drift.Features.Concat(new[] { report.TargetDrift, report.PredictionDrift }.OfType<FeatureDrift>()))
        {
            CliOutput.AddRow(table, f.Name, f.Kind, f.Method, f.Statistic is { } s ? CliOutput.Number(s) : "—", CliOutput.Number(f.Threshold),
                f.Statistic is null ? f.Note ?? "" : f.Drifted ? "DRIFT" : "no");
        }

        output.Write(table);
        if (report.Quality?.Current is { } quality)
        {
            await output.WriteLineAsync($"Quality ({report.Quality.Task}, {report.Quality.CurrentRows:N0} labelled rows): " + string.Join(", ",
                quality.Where(q => q.Key is "accuracy" or "f1_macro" or "rmse" or "mae" or "r2").Select(q => $"{q.Key} {CliOutput.Number(q.Value)}")), ct);
        }

        if (report.PerformanceEstimate is { } estimate)
        {
            await output.WriteLineAsync($"Estimated accuracy (CBPE, {estimate.Rows:N0} rows): {CliOutput.Number(estimate.EstimatedAccuracy)}"
                + (estimate.RealizedAccuracy is { } realized ? $"; realised on {estimate.RowsWithActual:N0} labelled rows: {CliOutput.Number(realized)}" : ""), ct);
        }
    }

    /// <summary>"90s", "15m", "1h", "2d" or plain seconds.</summary>
    private static long Seconds(string text, string option)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsLetter(text.Length > 0 ? text[^1] : '0') ? text[..^1] : text;
        var factor = unit switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 0L };
        if (factor == 0 || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new ArgumentException($"{option} must be a duration like 90s, 15m, 1h or 2d, got '{text}'.");
        }

        return value * factor;
    }

    private static string Reference(MonitorSpec spec) =>
        spec.Reference.Dataset is { } dataset ? dataset + (spec.Reference.Table is { } t ? ":" + t : "") : spec.Reference.Artifact ?? "training data";

    private static string Describe(MonitorSpec spec) =>
        (spec.WindowRequests is { } requests ? $"latest {requests:N0} requests" : $"{spec.EffectiveWindowSeconds}s windows")
        + (spec.ScheduleSeconds > 0 ? $", every {spec.ScheduleSeconds}s" : ", on demand");

    private static string Time(long? milliseconds) =>
        milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "never";
}
