using Keel.Core.Errors;
using Keel.Tabular.Chunks;

namespace Keel.Serving.Batch;

/// <summary>How <see cref="BatchScorer"/> scores a file.</summary>
public sealed class BatchScoringOptions
{
    public static BatchScoringOptions Default { get; } = new();

    /// <summary>
    /// The one input column to keep beside the predictions (e.g. a row id); null keeps every input
    /// column. It is not fed to the model unless the model's signature names it.
    /// </summary>
    public string? IdColumn { get; init; }

    /// <summary>Rows per chunk: what is read, predicted and written at once. Memory is a few chunks, whatever the file's size.</summary>
    public int BatchSize { get; init; } = TableChunkReader.DefaultChunkRows;

    /// <summary>
    /// Chunks predicted at once, each on its own thread; default one per core. With ONNX models,
    /// load the predictor with one intra-op thread (<c>ModelLoadOptions.OnnxIntraOpThreads = 1</c>)
    /// so the workers, not ONNX Runtime's pool, share the cores.
    /// </summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Told after each chunk is written.</summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>The clock elapsed times and rates are measured with.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>A KeelException naming the setting that is out of range, if one is.</summary>
    public void Validate()
    {
        if (BatchSize is < 1 or > TableChunkReader.MaxChunkRows)
        {
            throw KeelException.Invalid($"The batch size is {BatchSize:N0} rows; it must be 1 to {TableChunkReader.MaxChunkRows:N0}.");
        }

        if (Workers < 1)
        {
            throw KeelException.Invalid($"The number of workers is {Workers}; it must be at least 1.");
        }

        if (IdColumn is { Length: 0 })
        {
            throw KeelException.Invalid("The id column name is empty; leave it out to keep every input column.");
        }
    }
}

/// <summary>Where a batch scoring run is.</summary>
/// <param name="Rows">Rows predicted and written so far.</param>
/// <param name="Fraction">How much of the input those rows are, 0 to 1 (by bytes for text files, exact for Parquet).</param>
/// <param name="Elapsed">Time since scoring started.</param>
public readonly record struct BatchProgress(long Rows, double Fraction, TimeSpan Elapsed)
{
    public double RowsPerSecond => Elapsed > TimeSpan.Zero ? Rows / Elapsed.TotalSeconds : 0;

    /// <summary>The time left at the rate so far; null before there is a rate.</summary>
    public TimeSpan? Remaining => Fraction is > 0 and <= 1 && Elapsed > TimeSpan.Zero
        ? TimeSpan.FromSeconds(Elapsed.TotalSeconds * (1 - Fraction) / Fraction)
        : null;
}

/// <summary>What a batch scoring run did.</summary>
/// <param name="Rows">Rows scored and written.</param>
/// <param name="Elapsed">From the first chunk read to the last written.</param>
/// <param name="Columns">The output's columns: the input columns kept, then the predictions.</param>
public sealed record BatchScoringResult(long Rows, TimeSpan Elapsed, IReadOnlyList<string> Columns)
{
    public double RowsPerSecond => Elapsed > TimeSpan.Zero ? Rows / Elapsed.TotalSeconds : 0;
}
