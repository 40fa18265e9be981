using System.CommandLine;
using System.Globalization;
using Keel.Client;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Serving.Batch;
using Keel.Serving.Predictors;
using Keel.Tabular.Chunks;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Keel.Cli.Commands;

/// <summary>
/// `keel predict --model URI|FOLDER --input FILE --output FILE`: batch scoring of a CSV, Parquet or
/// JSON lines file through <see cref="BatchScorer"/>, in chunks (flat memory), on every core. Progress
/// goes to stderr — a Spectre progress bar on a terminal, a plain line about every second otherwise —
/// and a summary line to stdout.
/// </summary>
internal static class PredictCommand
{
    private static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "The model: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH, or a local model folder (no server needed).",
            Required = true,
        };
        var input = new Option<string>("--input", "-i") { Description = "The rows to score: .csv, .parquet (.pq) or .jsonl (.ndjson).", Required = true };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where the predictions go: .csv, .parquet (.pq) or .jsonl (.ndjson); replaced only once complete.",
            Required = true,
        };
        var idColumn = new Option<string?>("--id-column") { Description = "Keep only this input column beside the predictions (default: keep every input column)." };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Rows per chunk read, predicted and written at once; memory is a few chunks, whatever the file's size.",
            DefaultValueFactory = _ => TableChunkReader.DefaultChunkRows,
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Chunks predicted at once, one per core by default.",
            DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount),
        };
        var trackingUri = new Option<string?>("--tracking-uri")
        {
            Description = "The Keel (or MLflow) server that resolves models:/ and runs:/ URIs (default: KEEL_TRACKING_URI, else MLFLOW_TRACKING_URI, else " + KeelClient.DefaultTrackingUri + ").",
        };
        var cache = new Option<string?>("--cache-dir") { Description = "Where downloaded models are kept (default: KEEL_MODEL_CACHE, else the user's local data folder)." };
        var command = new Command("predict", "Score a file with a model (batch scoring): the input's rows, or an id column, beside the model's predictions.");
        foreach (var option in new Option[] { model, input, output, idColumn, batchSize, workers, trackingUri, cache })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var inputPath = parse.GetValue(input)!;
            var outputPath = parse.GetValue(output)!;
            BatchScoringOptions Options(IProgress<BatchProgress>? progress) => new()
            {
                IdColumn = parse.GetValue(idColumn),
                BatchSize = parse.GetValue(batchSize),
                Workers = parse.GetValue(workers),
                Progress = progress,
            };

            try
            {
                // Checked before the model loads: a typo should not cost a download.
                Options(null).Validate();
                BatchFileFormats.Of(inputPath);
                BatchFileFormats.Of(outputPath);
                if (!File.Exists(inputPath))
                {
                    throw KeelException.NotFound($"Input file '{inputPath}' does not exist.");
                }

                var (predictor, owner, description) = await LoadAsync(parse.GetValue(model)!, parse.GetValue(trackingUri), parse.GetValue(cache), ct);
                using (owner)
                {
                    var result = await RunWithProgressAsync(stderr, inputPath, progress =>
                        BatchScorer.ScoreFileAsync(predictor, inputPath, outputPath, Options(progress), ct));
                    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Scored {result.Rows:N0} rows with {description} in {result.Elapsed.TotalSeconds:F2} s ({result.RowsPerSecond:N0} rows/s): {outputPath} ({string.Join(", ", result.Columns)})"));
                    return 0;
                }
            }
            catch (KeelException e)
            {
                await stderr.WriteLineAsync($"error: {e.Code}: {e.Message}");
                return 1;
            }
            catch (KeelApiException e)
            {
                await stderr.WriteLineAsync($"error: {e.ErrorCode}: {e.Message}");
                return 1;
            }
            catch (HttpRequestException e)
            {
                await stderr.WriteLineAsync($"error: cannot reach the tracking server: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"keel predict: cancelled; '{outputPath}' was not written.");
                return 130;
            }
        });
        return command;
    }

    /// <summary>
    /// The model, resolved as `keel serve` resolves it (a local folder directly; models:/ to the
    /// registry version, whose files are downloaded into the cache by content hash; runs:/ through
    /// the run), through Keel.Client's public API. ONNX models get one ONNX Runtime thread per
    /// call: batch scoring runs one call per core itself, and two calls sharing a session's
    /// default pool (one thread per core) measured 15 % slower.
    /// </summary>
    private static async Task<(IPredictor Predictor, IDisposable Owner, string Description)> LoadAsync(
        string model, string? trackingUri, string? cacheDir, CancellationToken ct)
    {
        // The serving path's model source: one ONNX Runtime thread per call (ModelWarmUp.ServingLoadOptions).
        using var source = new ClientModelSource(trackingUri, cacheDir);
        var resolved = await source.ResolveAsync(model, ct);
        var served = await source.LoadAsync(resolved, ct);
        var description = resolved.Version == "local" ? $"the model in {resolved.Uri}"
            : ModelReference.IsModelsUri(model) ? $"{resolved.Name} version {resolved.Version}" : model;
        return (served.Predictor, served, description);
    }

    private static async Task<BatchScoringResult> RunWithProgressAsync(
        TextWriter stderr, string inputPath, Func<IProgress<BatchProgress>, Task<BatchScoringResult>> score)
    {
        if (!ReferenceEquals(stderr, Console.Error) || Console.IsErrorRedirected)
        {
            return await score(new PlainProgress(stderr));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var state = new RowsState();
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RowsColumn(state), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Path.GetFileName(inputPath), maxValue: 1.0);
                var result = await score(new CallbackProgress(p =>
                {
                    state.Last = p;
                    task.Value = p.Fraction;
                }));
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>Calls back on the reporting thread (System.Progress would post to the thread pool, out of order).</summary>
    private sealed class CallbackProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }

    /// <summary>A line on stderr at most about once a second, for logs and pipes.</summary>
    private sealed class PlainProgress(TextWriter stderr) : IProgress<BatchProgress>
    {
        private TimeSpan _next = PlainProgressInterval;

        public void Report(BatchProgress value)
        {
            if (value.Elapsed < _next)
            {
                return;
            }

            _next = value.Elapsed + PlainProgressInterval;
            var eta = value.Remaining is { } left ? $", ETA {left:hh\\:mm\\:ss}" : "";
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"keel predict: {value.Rows:N0} rows, {value.Fraction:P0} of the input, {value.RowsPerSecond:N0} rows/s{eta}"));
            stderr.Flush();
        }
    }

    private sealed class RowsState
    {
        public BatchProgress Last { get; set; }
    }

    /// <summary>Rows written and the rate so far, beside Spectre's bar, percentage and ETA.</summary>
    private sealed class RowsColumn(RowsState state) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var last = state.Last;
            return new Text(string.Create(CultureInfo.InvariantCulture, $"{last.Rows:N0} rows, {last.RowsPerSecond:N0} rows/s"));
        }
    }
}
