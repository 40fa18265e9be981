using System.CommandLine;
using System.Globalization;
using Keel.Data.Profiling;
using Keel.Data.Validation;
using Keel.Tabular.Chunks;

namespace Keel.Cli.Commands;

/// <summary>`keel data profile|validate|suite`: the tables of datasets (issue 6).</summary>
public static partial class ClientCommands
{
    private static Command CreateDataProfileCommand()
    {
        var command = new Command("profile", "The profile of a version's tabular files (NAME[@VERSION]) or of a local .csv/.parquet/.jsonl file: per column type, missing values, distinct count, range, mean, quantiles, top values.");
        var target = new Argument<string>("TARGET") { Description = "NAME[@VERSION] of a dataset, or a local file." };
        var compute = new Option<bool>("--compute") { Description = "Profile the version now and store the profile (versions too large to profile on add)." };
        command.Arguments.Add(target);
        command.Options.Add(compute);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var text = parse.GetValue(target)!;
            IReadOnlyDictionary<string, TableProfile> profiles;
            if (File.Exists(text))
            {
                profiles = new Dictionary<string, TableProfile> { [text] = await ProfileFileAsync(text, ct) };
            }
            else
            {
                var (name, version) = DatasetReference(text);
                profiles = await client.GetDatasetProfilesAsync(name, version, parse.GetValue(compute), ct);
            }

            if (output.Json)
            {
                await output.WriteJsonAsync(profiles, ct);
                return 0;
            }

            if (profiles.Count == 0)
            {
                await output.WriteLineAsync("No profile: the version has no tabular file, or it was too large to profile on add (use --compute).", ct);
            }

            foreach (var (path, profile) in profiles)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{path}: {profile.RowCount:N0} rows, {profile.Columns.Count} columns"), ct);
                var table = CliOutput.NewTable("Column", "Type", "Missing", "Distinct", "Min", "Mean", "Max", "Std", "Top values");
                foreach (var c in profile.Columns)
                {
                    var n = c.Numeric;
                    CliOutput.AddRow(table, c.Name, c.Type,
                        string.Create(CultureInfo.InvariantCulture, $"{c.MissingShare:P1}"),
                        (c.DistinctExact ? "" : "≈") + c.Distinct.ToString(CultureInfo.InvariantCulture),
                        n is null ? "" : CliOutput.Number(n.Min), n is null ? "" : CliOutput.Number(n.Mean),
                        n is null ? "" : CliOutput.Number(n.Max), n is null ? "" : CliOutput.Number(n.Std),
                        c.Categorical is { } k ? string.Join(", ", k.TopValues.Take(3).Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Value} ({v.Share:P0})"))) : "");
                }

                output.Write(table);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateDataValidateCommand()
    {
        var command = new Command("validate", "Check data against an expectation suite (YAML): DATA is a local .csv/.parquet/.jsonl file (no server needed) or NAME[@VERSION] of a dataset. Exit code 1 when a rule fails.");
        var data = new Argument<string>("DATA") { Description = "A local file, or NAME[@VERSION]." };
        var suiteFile = new Option<string>("--suite", "-s") { Description = "The suite's YAML file.", Required = true };
        var html = new Option<string?>("--html") { Description = "Also write the report as an HTML page to this file." };
        command.Arguments.Add(data);
        command.Options.Add(suiteFile);
        command.Options.Add(html);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var suitePath = parse.GetValue(suiteFile)!;
            var yaml = await ReadSuiteAsync(suitePath, ct);
            var suite = ExpectationSuite.Parse(yaml);
            var text = parse.GetValue(data)!;
            IReadOnlyDictionary<string, ValidationReport> reports;
            if (File.Exists(text))
            {
                var reference = await LocalReferenceAsync(suite, suitePath, client, ct);
                var (report, _) = await SuiteValidator.ValidateAsync(
                    suite, token => TableChunkReader.OpenAsync(text, cancellationToken: token), text, reference, null, ct);
                reports = new Dictionary<string, ValidationReport> { [text] = report };
            }
            else
            {
                var (name, version) = DatasetReference(text);
                reports = await client.ValidateDatasetAsync(yaml, name, version, ct);
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                await File.WriteAllTextAsync(htmlPath, string.Concat(reports.Values.Select(r => r.ToHtml())), ct);
            }

            var success = reports.Values.All(r => r.Success);
            if (output.Json)
            {
                await output.WriteJsonAsync(reports, ct);
                return success ? 0 : 1;
            }

            foreach (var (path, report) in reports)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: {(report.Success ? "PASSED" : "FAILED")}, {report.RulesPassed} of {report.RulesPassed + report.RulesFailed} rules passed ({report.RowCount:N0} rows, suite '{report.Suite}')."), ct);
                var table = CliOutput.NewTable("Result", "Column", "Rule", "Expected", "Observed", "Failing rows", "Sample");
                foreach (var r in report.Results.OrderBy(r => r.Passed))
                {
                    CliOutput.AddRow(table, r.Passed ? "pass" : "FAIL", r.Column ?? "(table)", r.Rule, r.Expected, r.Observed,
                        r.FailingRows?.ToString(CultureInfo.InvariantCulture) ?? "",
                        r.Sample is { Count: > 0 } s ? string.Join(", ", s.Select(x => $"{x.Row}: {x.Value ?? "null"}")) : "");
                }

                output.Write(table);
            }

            return success ? 0 : 1;
        });
        return command;
    }

    private static Command CreateDataSuiteCommand()
    {
        var suite = new Command("suite", "Expectation suites: init (infer one from a profile), attach (to a dataset, run on every add), show, detach.");
        var init = new Command("init", "Write a suite inferred from a version's profile (NAME[@VERSION]) or a local file's, to edit.");
        var source = new Argument<string>("SOURCE") { Description = "NAME[@VERSION], or a local .csv/.parquet/.jsonl file." };
        var outFile = new Option<string?>("--output", "-o") { Description = "Write the YAML here instead of stdout." };
        init.Arguments.Add(source);
        init.Options.Add(outFile);
        SetClientAction(init, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var text = parse.GetValue(source)!;
            TableProfile profile;
            string? reference = null;
            if (File.Exists(text))
            {
                profile = await ProfileFileAsync(text, ct);
                reference = Path.GetFullPath(text);
            }
            else
            {
                var (name, version) = DatasetReference(text);
                var stored = await client.GetDatasetVersionAsync(name, version, ct);
                var profiles = await client.GetDatasetProfilesAsync(name, stored.Version.Id, cancellationToken: ct);
                profile = Keel.Data.Versioning.VersionTables.First(profiles)
                    ?? throw new Keel.Core.Errors.KeelException(Keel.Core.Errors.ErrorCode.INVALID_PARAMETER_VALUE,
                        $"{name}@{stored.Version.Id} has no profile (no tabular file, or too large: `keel data profile {name}@{stored.Version.Id} --compute`).");
                reference = $"{name}@{stored.Version.Id}";
            }

            var yaml = SuiteInference.FromProfile(profile, Path.GetFileNameWithoutExtension(text.Split('@')[0]), reference).ToYaml();
            if (parse.GetValue(outFile) is { } path)
            {
                await File.WriteAllTextAsync(path, yaml, ct);
                await output.WriteLineAsync($"Wrote {path}: {profile.Columns.Count} columns; edit it, then `keel data validate --suite {path} DATA`.", ct);
            }
            else
            {
                await output.WriteLineAsync(yaml.TrimEnd('\n'), ct);
            }

            return 0;
        });
        suite.Subcommands.Add(init);

        var attach = new Command("attach", "Attach a suite to a dataset: every later add runs it and refuses (or warns about) a failing version, per the suite's on_add.");
        var attachName = new Argument<string>("NAME") { Description = "The dataset." };
        var attachFile = new Argument<string>("FILE") { Description = "The suite's YAML file." };
        attach.Arguments.Add(attachName);
        attach.Arguments.Add(attachFile);
        SetClientAction(attach, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await client.SetDatasetSuiteAsync(parse.GetValue(attachName)!, await ReadSuiteAsync(parse.GetValue(attachFile)!, ct), ct);
            await output.WriteLineAsync($"Attached {parse.GetValue(attachFile)} to dataset {parse.GetValue(attachName)}.", ct);
            return 0;
        });
        suite.Subcommands.Add(attach);

        var show = new Command("show", "Print the suite attached to a dataset.");
        var showName = new Argument<string>("NAME") { Description = "The dataset." };
        show.Arguments.Add(showName);
        SetClientAction(show, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var yaml = await client.GetDatasetSuiteAsync(parse.GetValue(showName)!, ct);
            await output.WriteLineAsync(yaml?.TrimEnd('\n') ?? $"Dataset {parse.GetValue(showName)} has no suite attached.", ct);
            return 0;
        });
        suite.Subcommands.Add(show);

        var detach = new Command("detach", "Detach the suite of a dataset.");
        var detachName = new Argument<string>("NAME") { Description = "The dataset." };
        detach.Arguments.Add(detachName);
        SetClientAction(detach, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await client.DeleteDatasetSuiteAsync(parse.GetValue(detachName)!, ct);
            await output.WriteLineAsync($"Detached the suite of dataset {parse.GetValue(detachName)}.", ct);
            return 0;
        });
        suite.Subcommands.Add(detach);
        return suite;
    }

    private static Task<TableProfile> ProfileFileAsync(string path, CancellationToken ct) =>
        TableProfiler.ProfileAsync(token => TableChunkReader.OpenAsync(path, cancellationToken: token), null, ct);

    private static async Task<string> ReadSuiteAsync(string path, CancellationToken ct) =>
        File.Exists(path) ? await File.ReadAllTextAsync(path, ct)
            : throw new Keel.Core.Errors.KeelException(Keel.Core.Errors.ErrorCode.RESOURCE_DOES_NOT_EXIST, $"Suite file '{path}' does not exist.");

    /// <summary>A local validation's reference: a file (relative to the suite's folder) is profiled here; NAME@VERSION comes from the server.</summary>
    private static async Task<TableProfile?> LocalReferenceAsync(ExpectationSuite suite, string suitePath, Keel.Client.KeelClient client, CancellationToken ct)
    {
        if (suite.Reference is not { } reference)
        {
            return null;
        }

        var file = Path.IsPathRooted(reference) ? reference : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(suitePath))!, reference);
        if (File.Exists(file))
        {
            return await ProfileFileAsync(file, ct);
        }

        var (name, version) = DatasetReference(reference);
        var profiles = await client.GetDatasetProfilesAsync(name, version, cancellationToken: ct);
        return Keel.Data.Versioning.VersionTables.First(profiles);
    }
}
