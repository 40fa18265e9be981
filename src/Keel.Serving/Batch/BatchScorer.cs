using System.Threading.Channels;
using Keel.Core.Errors;
using Keel.Serving.Batch.Internal;
using Keel.Serving.Predictors;
using Keel.Tabular;
using Keel.Tabular.Chunks;
using Keel.Tabular.Chunks.Internal;

namespace Keel.Serving.Batch;

/// <summary>
/// Batch scoring (<c>keel predict</c>): a file in, the same rows with their predictions out, in
/// chunks through a pipeline — one task reads and parses chunks, <see cref="BatchScoringOptions.Workers"/>
/// predict them in parallel, and the caller's task writes them in input order. A bounded channel of
/// chunk tasks, in reading order, joins the stages: the reader waits when the writer falls behind,
/// so a few chunks per worker are in memory whatever the file's size.
/// </summary>
public static class BatchScorer
{
    private const int SliceBytes = 64 * 1024;

    /// <summary>
    /// Scores <paramref name="inputPath"/> into <paramref name="outputPath"/> (formats by extension).
    /// The output appears only when every row is written; on error or cancellation nothing is left behind.
    /// </summary>
    public static async Task<BatchScoringResult> ScoreFileAsync(
        IPredictor predictor, string inputPath, string outputPath, BatchScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        options ??= BatchScoringOptions.Default;
        options.Validate();
        BatchFileFormats.Of(outputPath);
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"The output '{outputPath}' is the input file; write the predictions to another file.");
        }

        await using var reader = await TableChunkReader.OpenAsync(inputPath, options.BatchSize, cancellationToken);
        await using var writer = TableChunkWriter.Create(outputPath);
        var result = await ScoreAsync(predictor, reader, writer, options, cancellationToken);
        await writer.CompleteAsync(cancellationToken);
        return result;
    }

    /// <summary>Scores every chunk of <paramref name="reader"/> into <paramref name="writer"/>; completing the writer is the caller's.</summary>
    public static async Task<BatchScoringResult> ScoreAsync(
        IPredictor predictor, TableChunkReader reader, TableChunkWriter writer, BatchScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        options ??= BatchScoringOptions.Default;
        options.Validate();
        var plan = ScoringPlan.Create(predictor.Signature, reader.ColumnNames, reader.Where, options.IdColumn);
        var clock = options.TimeProvider;
        var started = clock.GetTimestamp();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(options.Workers);
        // Room for one finished chunk beside the running ones: a worker that finishes starts the
        // next parsed chunk at once, while the writer writes the one before (with room for the
        // running ones only, a worker idled for a write and a parse: 23 % of the time on 2 cores).
        // A finished chunk per worker was no faster, and a long file then reached a chunk more in
        // memory than a short one (docs/benchmarks.md, batch scoring).
        var ordered = Channel.CreateBounded<Task<(Table Output, TableChunk Input)>>(
            new BoundedChannelOptions(options.Workers + 1) { SingleReader = true, SingleWriter = true });
        using var threads = new ScoringThreads(options.Workers);
        var producer = Task.Run(() => ProduceAsync(predictor, reader, plan, gate, threads, ordered.Writer, stop.Token), CancellationToken.None);

        var rows = 0L;
        IReadOnlyList<string> columns = [];
        try
        {
            await foreach (var scoring in ordered.Reader.ReadAllAsync(stop.Token))
            {
                var (output, input) = await scoring;
                await writer.WriteAsync(output, stop.Token);
                rows += output.RowCount;
                columns = output.ColumnNames;
                reader.Recycle(output, input.Table);
                options.Progress?.Report(new BatchProgress(rows, input.Progress, clock.GetElapsedTime(started)));
            }

            await producer;
        }
        catch
        {
            await stop.CancelAsync();
            await DrainAsync(producer, ordered.Reader);
            throw;
        }

        if (rows == 0)
        {
            throw KeelException.Invalid($"{reader.Where} has no data rows; there is nothing to score.");
        }

        return new BatchScoringResult(rows, clock.GetElapsedTime(started), columns);
    }

    private static async Task ProduceAsync(
        IPredictor predictor, TableChunkReader reader, ScoringPlan plan, SemaphoreSlim gate, ScoringThreads threads,
        ChannelWriter<Task<(Table Output, TableChunk Input)>> ordered, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in reader.ReadAsync(plan.Read, plan.Types, ScoringPlan.TypeReason, cancellationToken))
            {
                await gate.WaitAsync(cancellationToken);

                // Threads of their own, not the pool's: the pool has a thread per core, and a
                // prediction queued there waited while the reader parsed the next chunk on the pool
                // thread that queued it, so one core idled a fifth of the time. The OS shares the
                // cores among the predictions, the reader and the writer instead. The writer's loop
                // continues on the pool, not on a scoring thread: Parquet.Net rents a 256 KiB buffer
                // per row group from ArrayPool.Shared, and one returned on a thread that ends (as the
                // former thread per chunk did) was stranded in its slot, a new large array per row
                // group (docs/benchmarks.md, batch scoring).
                var scoring = threads.Run(() =>
                {
                    try
                    {
                        return (Score(predictor, plan, chunk, reader), chunk);
                    }
                    finally
                    {
                        gate.Release();
                    }
                });
                try
                {
                    await ordered.WriteAsync(scoring, cancellationToken);
                }
                catch
                {
                    // Not handed to the writer: observe it here, so its failure is not lost unobserved.
                    await Task.WhenAny(scoring);
                    throw;
                }
            }
        }
        finally
        {
            // The writer's loop ends at the chunks read so far; a reading error is rethrown by awaiting this task.
            ordered.Complete();
        }
    }

    /// <summary>
    /// Predicts a chunk in slices whose feature values take at most 64 KiB as doubles (2,048 rows
    /// of 4 features). A predictor allocates its input tensor and a copy of each output per call;
    /// slices that small stay in gen 0 and die there, where chunk-sized ones would land on the
    /// large object heap and make it grow with the length of the run. The slices' predictions are
    /// copied into chunk-length columns, whose arrays are reused from chunk to chunk.
    /// </summary>
    private static Table Score(IPredictor predictor, ScoringPlan plan, TableChunk chunk, TableChunkReader reader)
    {
        var input = chunk.Table;
        var features = plan.Features.Select(name => input[name]).ToArray();
        var step = Math.Clamp(SliceBytes / (sizeof(double) * Math.Max(1, features.Length)), 64, 4096);
        var predictions = new PredictionColumns(chunk.RowCount, reader.Arrays);
        for (var offset = 0; offset < chunk.RowCount; offset += step)
        {
            var count = Math.Min(step, chunk.RowCount - offset);
            var slice = count == chunk.RowCount ? new Table(features) : new Table(features.Select(c => ColumnSlices.Slice(c, offset, count)));
            PredictionResult result;
            try
            {
                result = predictor.Predict(slice);
            }
            catch (KeelException ex)
            {
                // The predictor counts rows from its slice; the message says where they are in the file.
                throw new KeelException(ex.Code, $"{Rows(reader, chunk, offset, count)}: {ex.Message}", ex);
            }

            if (result.RowCount != count)
            {
                throw KeelException.Invalid($"{Rows(reader, chunk, offset, count)}: the model returned {result.RowCount:N0} predictions for {count:N0} rows.");
            }

            predictions.Add(result, offset);
        }

        var columns = predictions.Build();
        var clash = columns.Select(p => p.Name).Where(plan.Kept.Contains).ToList();
        if (clash.Count > 0)
        {
            throw KeelException.Invalid(
                $"{reader.Where} has a column named '{clash[0]}', like the model's prediction column; keep only an id column with --id-column, or rename the input column.");
        }

        return new Table([.. plan.Kept.Select(name => input[name]), .. columns]);
    }

    private static string Rows(TableChunkReader reader, TableChunk chunk, int offset, int count) =>
        $"{reader.Where}, data rows {chunk.FirstRow + offset + 1:N0} to {chunk.FirstRow + offset + count:N0}";

    /// <summary>After a failure: waits for the reader to stop and for every chunk still being predicted, so nothing runs on.</summary>
    private static async Task DrainAsync(Task producer, ChannelReader<Task<(Table Output, TableChunk Input)>> ordered)
    {
        await Task.WhenAny(producer);
        while (ordered.TryRead(out var scoring))
        {
            await Task.WhenAny(scoring);
        }
    }
}
