using Keel.Core.Errors;
using Keel.Serving.Batch.Internal;
using Keel.Tabular;
using Keel.Tabular.Chunks;

namespace Keel.Serving.Batch;

/// <summary>
/// Writes <see cref="Table"/> chunks to a CSV, Parquet or JSON lines file as they come, so the
/// memory used does not grow with the file. The first chunk fixes the columns and their types;
/// later chunks must have the same. The rows go to a hidden temporary file beside the target,
/// which <see cref="CompleteAsync"/> renames into place: a run that fails or is cancelled leaves
/// no partial output (and an existing file stays as it was until the new one is complete).
/// </summary>
public abstract class TableChunkWriter : IAsyncDisposable
{
    private readonly string _temporary;
    private (string Name, ColumnType Type)[]? _columns;
    private bool _completed;
    private bool _disposed;

    private protected TableChunkWriter(string path, BatchFileFormat format)
    {
        Path = path;
        Format = format;
        Where = BatchFileFormats.Describe(format, path);
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw KeelException.NotFound($"Cannot write '{path}': the folder '{folder}' does not exist.");
        }

        if (Directory.Exists(full))
        {
            throw KeelException.Invalid($"Cannot write '{path}': it is a folder.");
        }

        _temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        Stream = new FileStream(_temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
    }

    public string Path { get; }

    public BatchFileFormat Format { get; }

    /// <summary>Rows written so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>The columns the first chunk fixed; empty before it.</summary>
    public IReadOnlyList<string> ColumnNames => _columns is null ? [] : [.. _columns.Select(c => c.Name)];

    private protected string Where { get; }

    /// <summary>The temporary file the rows go to until <see cref="CompleteAsync"/>.</summary>
    private protected FileStream Stream { get; }

    /// <summary>A writer for a .csv, .parquet/.pq or .jsonl/.ndjson file (by extension).</summary>
    public static TableChunkWriter Create(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return BatchFileFormats.Of(path) switch
        {
            BatchFileFormat.Csv => new CsvChunkWriter(path),
            BatchFileFormat.Parquet => new ParquetChunkWriter(path),
            _ => new JsonLinesChunkWriter(path),
        };
    }

    public async Task WriteAsync(Table chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        if (_columns is null)
        {
            _columns = [.. chunk.Columns.Select(c => (c.Name, c.Type))];
            await StartAsync(chunk, cancellationToken);
        }
        else if (!chunk.Columns.Select(c => (c.Name, c.Type)).SequenceEqual(_columns))
        {
            throw new ArgumentException(
                $"A chunk has the columns {Describe(chunk.Columns.Select(c => (c.Name, c.Type)))} but the first had {Describe(_columns)}; every chunk of a file has the same columns.",
                nameof(chunk));
        }

        await WriteChunkAsync(chunk, cancellationToken);
        RowCount += chunk.RowCount;
    }

    /// <summary>Finishes the file (Parquet's footer), and renames it into place, replacing a file of that name.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        if (_columns is null)
        {
            throw KeelException.Invalid($"No rows were written to '{Path}'; a file needs at least one chunk to know its columns.");
        }

        await FinishAsync(cancellationToken);
        await Stream.FlushAsync(cancellationToken);
        await Stream.DisposeAsync();
        File.Move(_temporary, Path, overwrite: true);
        _completed = true;
    }

    /// <summary>Without <see cref="CompleteAsync"/>, deletes what was written.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_completed)
        {
            return;
        }

        try
        {
            await AbandonAsync();
        }
        finally
        {
            await Stream.DisposeAsync();
            File.Delete(_temporary);
        }
    }

    private protected abstract Task StartAsync(Table first, CancellationToken cancellationToken);

    private protected abstract Task WriteChunkAsync(Table chunk, CancellationToken cancellationToken);

    private protected abstract Task FinishAsync(CancellationToken cancellationToken);

    /// <summary>Releases what a writer holds when the file is abandoned.</summary>
    private protected virtual ValueTask AbandonAsync() => ValueTask.CompletedTask;

    private static string Describe(IEnumerable<(string Name, ColumnType Type)> columns) =>
        "[" + string.Join(", ", columns.Select(c => $"{c.Name} ({c.Type.ToString().ToLowerInvariant()})")) + "]";
}
