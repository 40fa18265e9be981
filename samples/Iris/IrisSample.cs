using System.Diagnostics;
using System.Globalization;
using Keel.Client;
using Keel.Client.Models;
using Keel.Monitoring.Quality;
using Keel.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Samples.Iris;

/// <summary>What one run of the sample trains and where it logs it; the defaults are the command line's.</summary>
public sealed record IrisOptions
{
    /// <summary>The usage text of the command line.</summary>
    public const string Usage =
        """
        Usage: Iris [options]
          --tracking-uri URI   Keel server (default: KEEL_TRACKING_URI, MLFLOW_TRACKING_URI, http://127.0.0.1:5000)
          --trees N            trees per one-versus-all forest (default 100)
          --leaves N           leaves per tree (default 20)
          --min-examples N     minimum examples per leaf (default 10)
          --seed N             seed of the split and the trainer (default 1)
          --experiment NAME    experiment (default iris)
          --model NAME         registered model (default iris)
          --data PATH          CSV with sepal_length,sepal_width,petal_length,petal_width,species (default: iris.csv beside the program)
        """;

    private static readonly HashSet<string> KnownOptions = new(StringComparer.Ordinal)
    {
        "--tracking-uri", "--trees", "--leaves", "--min-examples", "--seed", "--experiment", "--model", "--data",
    };

    /// <summary>The server; <see langword="null"/> reads it from the environment (<see cref="KeelClient.GetTrackingUriFromEnvironment"/>).</summary>
    public Uri? TrackingUri { get; init; }

    public int Trees { get; init; } = 100;

    public int Leaves { get; init; } = 20;

    public int MinExamplesPerLeaf { get; init; } = 10;

    public int Seed { get; init; } = 1;

    public string Experiment { get; init; } = "iris";

    public string ModelName { get; init; } = "iris";

    public string DataPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "iris.csv");

    /// <summary>Reads the command line; a <see cref="FormatException"/> names the option that is wrong.</summary>
    public static IrisOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new IrisOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!KnownOptions.Contains(name))
            {
                throw new FormatException(name.StartsWith('-')
                    ? $"unknown option '{name}'; see --help."
                    : $"unexpected argument '{name}'; see --help.");
            }

            var value = i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            options = name switch
            {
                "--tracking-uri" => options with { TrackingUri = TrackingUriOption(value) },
                "--trees" => options with { Trees = AtLeast(1, name, value) },
                "--leaves" => options with { Leaves = AtLeast(2, name, value) },
                "--min-examples" => options with { MinExamplesPerLeaf = AtLeast(1, name, value) },
                "--seed" => options with { Seed = Int(name, value) },
                "--experiment" => options with { Experiment = NonEmpty(name, value) },
                "--model" => options with { ModelName = NonEmpty(name, value) },
                "--data" => options with { DataPath = NonEmpty(name, value) },
                _ => throw new UnreachableException(name),
            };
        }

        return options;
    }

    private static Uri TrackingUriOption(string value)
    {
        try
        {
            return KeelClient.ParseTrackingUri(value, "--tracking-uri");
        }
        catch (ArgumentException)
        {
            throw new FormatException($"--tracking-uri: '{value}' is not an http(s) URI (e.g. {KeelClient.DefaultTrackingUri}).");
        }
    }

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"{name} takes a whole number, not '{value}'.");

    private static int AtLeast(int minimum, string name, string value) =>
        Int(name, value) is var number && number >= minimum ? number : throw new FormatException($"{name} must be at least {minimum}, not '{value}'.");

    private static string NonEmpty(string name, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException($"{name} needs a non-empty value.") : value;
}

/// <summary>What a run of the sample produced.</summary>
/// <param name="RunId">The tracking run holding the params, metrics and model.</param>
/// <param name="Version">The registered model version.</param>
/// <param name="Alias"><c>champion</c> for the model's first aliased version, <c>challenger</c> afterwards.</param>
/// <param name="Accuracy">Accuracy on the held-out split.</param>
/// <param name="F1Macro">Macro-averaged F1 on the held-out split.</param>
public sealed record IrisResult(string RunId, string Version, string Alias, double Accuracy, double F1Macro);

/// <summary>
/// MLflow's classic iris walk-through in C#: train a random forest on iris with ML.NET, track the
/// run in Keel, register the model, and give it the <c>champion</c> alias, or <c>challenger</c>
/// when a champion exists, so the two can be compared with <c>keel models evaluate</c>.
/// </summary>
public static class IrisSample
{
    public const string Champion = "champion";

    public const string Challenger = "challenger";

    private const string Target = "species";
    private const double TestFraction = 0.3;
    private const string Trainer = "FastForest (one-versus-all)";

    private static readonly string[] Features = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

    public static async Task<IrisResult> RunAsync(IrisOptions options, TextWriter output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var ml = new MLContext(seed: options.Seed);
        var data = Load(ml, options.DataPath);
        var split = ml.Data.TrainTestSplit(data, testFraction: TestFraction, seed: options.Seed);

        // ML.NET's evaluator wants the predicted label as a key, so the chain is fitted up to the
        // trainer, scored, and only then extended with the step that maps keys back to species.
        var trained = ml.Transforms.Conversion.MapValueToKey("Label", Target)
            .Append(ml.Transforms.Concatenate("Features", Features))
            .Append(ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(
                numberOfTrees: options.Trees,
                numberOfLeaves: options.Leaves,
                minimumExampleCountPerLeaf: options.MinExamplesPerLeaf)))
            .Fit(split.TrainSet);
        var scored = trained.Transform(split.TestSet);
        var quality = ml.MulticlassClassification.Evaluate(scored);
        var toSpecies = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored);
        var model = trained.Append(toSpecies);

        var predicted = toSpecies.Transform(scored);
        var f1 = ClassificationMetrics.Evaluate(Labels(predicted, Target), Labels(predicted, "PredictedLabel"));

        using var client = new KeelClient(options.TrackingUri ?? KeelClient.GetTrackingUriFromEnvironment());
        var runName = $"forest-{options.Trees}t-{options.Leaves}l";
        LoggedModel logged;
        string runId;
        await using (var run = await client.StartRunAsync(options.Experiment, runName, cancellationToken: ct))
        {
            runId = run.RunId;
            try
            {
                await run.LogParamsAsync(new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["n_trees"] = Invariant(options.Trees),
                    ["n_leaves"] = Invariant(options.Leaves),
                    ["min_examples_per_leaf"] = Invariant(options.MinExamplesPerLeaf),
                    ["seed"] = Invariant(options.Seed),
                    ["test_fraction"] = Invariant(TestFraction),
                    ["trainer"] = Trainer,
                }, ct);
                run.LogMetrics(new Dictionary<string, double>(StringComparer.Ordinal)
                {
                    ["accuracy"] = quality.MicroAccuracy,
                    ["accuracy_macro"] = quality.MacroAccuracy,
                    ["log_loss"] = quality.LogLoss,
                    ["f1_macro"] = f1.Macro.F1,
                    ["f1_weighted"] = f1.Weighted.F1,
                });
                logged = await client.LogModelAsync(runId, ml, model, data.Schema, "model", new LogModelOptions
                {
                    RegisteredModelName = options.ModelName,
                    LabelColumnName = Target,
                    InputExample = InputExample(ml, data),
                }, ct);
            }
            catch
            {
                run.Fail();
                throw;
            }
        }

        var version = logged.RegisteredVersion?.Version
            ?? throw new InvalidOperationException($"The model of run {runId} was logged but not registered as '{options.ModelName}'.");

        // The first version becomes the champion; later ones only challenge it, and moving the
        // champion stays a deliberate step (after `keel models evaluate`). Two samples registering
        // at the same moment may both see no champion: the last one to set it wins.
        var aliases = (await client.GetRegisteredModelAsync(options.ModelName, ct)).Aliases;
        var alias = aliases.ContainsKey(Champion) ? Challenger : Champion;
        await client.SetRegisteredModelAliasAsync(options.ModelName, alias, version, ct);

        var result = new IrisResult(runId, version, alias, quality.MicroAccuracy, f1.Macro.F1);
        await WriteSummaryAsync(output, options, runName, result, ct);
        return result;
    }

    private static IDataView Load(MLContext ml, string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No data file at '{path}' (--data).", path);
        }

        // TextLoader maps columns by position: make sure the header says what the positions mean.
        string[] expected = [.. Features, Target];
        var header = File.ReadLines(path).FirstOrDefault()?.Split(',').Select(h => h.Trim()).ToArray() ?? [];
        if (!header.SequenceEqual(expected, StringComparer.Ordinal))
        {
            throw new FormatException($"'{path}' has the columns [{string.Join(", ", header)}]; expected [{string.Join(", ", expected)}].");
        }

        // Species are read as numbers (0, 1, 2) so that the predicted labels come back as the same numbers.
        var columns = expected.Select((name, index) => new TextLoader.Column(name, DataKind.Single, index)).ToArray();
        return ml.Data.LoadFromTextFile(path, columns, separatorChar: ',', hasHeader: true);
    }

    private static long[] Labels(IDataView view, string column) =>
        [.. view.GetColumn<float>(column).Select(label => (long)label)];

    private static Table InputExample(MLContext ml, IDataView data)
    {
        var rows = ml.Data.TakeRows(data, 5);
        return new Table(Features.Select(name => Column.Create(name, rows.GetColumn<float>(name).ToArray())));
    }

    private static async Task WriteSummaryAsync(TextWriter output, IrisOptions options, string runName, IrisResult result, CancellationToken ct)
    {
        var evaluate = $"./keel models evaluate models:/{options.ModelName}@{Champion} models:/{options.ModelName}@{Challenger} --data samples/Iris/iris.csv --target {Target}";
        if (options.TrackingUri is { } uri)
        {
            evaluate += $" --tracking-uri {uri.OriginalString}";
        }

        var lines = new List<string>
        {
            $"run       {result.RunId} ({runName}) in experiment '{options.Experiment}'",
            $"model     {options.ModelName} version {result.Version}, alias {result.Alias}",
            $"accuracy  {result.Accuracy:0.0000}   f1_macro {result.F1Macro:0.0000}   (held-out {TestFraction * 100:0}%)",
            "",
        };
        if (string.Equals(result.Alias, Champion, StringComparison.Ordinal))
        {
            lines.Add("Next: run again with other settings (--trees, --leaves, --min-examples) to register a challenger, then compare them:");
        }
        else
        {
            lines.Add("Next: compare the challenger with the champion on the whole data set:");
        }

        lines.Add("  " + evaluate);
        foreach (var line in lines)
        {
            await output.WriteLineAsync(line.AsMemory(), ct);
        }
    }

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
