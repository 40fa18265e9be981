using Keel.Core.Errors;
using Keel.Tabular.Chunks.Internal;

namespace Keel.Tabular.Chunks;

/// <summary>
/// Reads a CSV, Parquet or JSON lines file as a stream of <see cref="TableChunk"/>s of at most
/// <see cref="ChunkRows"/> rows, so the memory used does not grow with the file. Column types are
/// fixed once for the whole file: those the caller declares (the model's inputs) are parsed as that
/// type from the first row, and a value that does not fit is an error naming the line and the
/// column; the others take the type inferred from the first chunk (int64, double, boolean or string,
/// as <see cref="TableReader"/> infers them), which later chunks must then fit. A Parquet file keeps
/// the types its schema has, and its chunks never straddle a row group.
/// </summary>
public abstract class TableChunkReader : IAsyncDisposable
{
    public const int DefaultChunkRows = 32_768;

    /// <summary>
    /// The key of <see cref="Exception.Data"/> that names the column when a value does not fit its
    /// column's type: a reader that would rather widen the column (to string) than fail reads again.
    /// </summary>
    public const string MismatchedColumnKey = "Keel.Tabular.Column";

    /// <summary>The largest chunk: a chunk's columns are single arrays.</summary>
    public const int MaxChunkRows = 16 * 1024 * 1024;

    private protected TableChunkReader(string path, BatchFileFormat format, int chunkRows)
    {
        Path = path;
        Format = format;
        ChunkRows = chunkRows;
        Where = BatchFileFormats.Describe(format, path);
        Arrays = new ChunkArrays(chunkRows);
    }

    public string Path { get; }

    public BatchFileFormat Format { get; }

    public int ChunkRows { get; }

    /// <summary>The file's columns in order: the CSV header, the Parquet schema, or the keys of the first chunk's JSON objects.</summary>
    public IReadOnlyList<string> ColumnNames { get; private protected set; } = [];

    /// <summary>The number of data rows when the file records it (Parquet), else null.</summary>
    public long? RowCount { get; private protected set; }

    /// <summary>How messages name the file, e.g. <c>CSV file 'in.csv'</c>.</summary>
    public string Where { get; }

    /// <summary>Opens a .csv, .parquet/.pq or .jsonl/.ndjson file and reads what names its columns.</summary>
    public static Task<TableChunkReader> OpenAsync(string path, int chunkRows = DefaultChunkRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var format = BatchFileFormats.Of(path);
        if (!File.Exists(path))
        {
            throw KeelException.NotFound($"Input file '{path}' does not exist.");
        }

        return OpenCoreAsync(path, format, null, chunkRows, cancellationToken);
    }

    /// <summary>
    /// Opens the content that <paramref name="open"/> streams (a readable, seekable stream, opened
    /// again for each read), as a file named <paramref name="name"/>: its extension gives the format
    /// and messages name it.
    /// </summary>
    public static Task<TableChunkReader> OpenAsync(Func<Stream> open, string name, int chunkRows = DefaultChunkRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(name);
        return OpenCoreAsync(name, BatchFileFormats.Of(name), open, chunkRows, cancellationToken);
    }

    private static async Task<TableChunkReader> OpenCoreAsync(string path, BatchFileFormat format, Func<Stream>? open, int chunkRows, CancellationToken cancellationToken)
    {
        if (chunkRows is < 1 or > MaxChunkRows)
        {
            throw KeelException.Invalid($"A chunk holds 1 to {MaxChunkRows:N0} rows, not {chunkRows:N0}.");
        }

        TableChunkReader reader = format switch
        {
            BatchFileFormat.Csv => new CsvChunkReader(path, chunkRows, open),
            BatchFileFormat.Parquet => new ParquetChunkReader(path, chunkRows, open),
            _ => new JsonLinesChunkReader(path, chunkRows, open),
        };
        try
        {
            await reader.OpenCoreAsync(cancellationToken);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Reads the file from the start in chunks holding <paramref name="columns"/> (default: all, in
    /// file order), each a column of the file. <paramref name="types"/> declares the type of some of
    /// them (numbers as <see cref="ColumnType.Double"/> or <see cref="ColumnType.Int64"/>, booleans,
    /// strings); <paramref name="typeReason"/> says in error messages why, e.g. "the model takes double values".
    /// </summary>
    public IAsyncEnumerable<TableChunk> ReadAsync(
        IReadOnlyList<string>? columns = null,
        IReadOnlyDictionary<string, ColumnType>? types = null,
        string? typeReason = null,
        CancellationToken cancellationToken = default)
    {
        columns ??= ColumnNames;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in columns)
        {
            if (!ColumnNames.Contains(name, StringComparer.Ordinal))
            {
                throw KeelException.Invalid($"{Where} has no column '{name}'; its columns are: {string.Join(", ", ColumnNames)}.");
            }

            if (!seen.Add(name))
            {
                throw KeelException.Invalid($"Column '{name}' is asked for twice.");
            }
        }

        return ReadCoreAsync(columns, types ?? new Dictionary<string, ColumnType>(), typeReason ?? "it was declared so", cancellationToken);
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>A file for reading in large blocks (no FileStream buffer: readers read a megabyte at a time).</summary>
    private protected static Stream OpenFile(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Where the text readers' column arrays come from; batch scoring hands a chunk's back once it is written.</summary>
    internal ChunkArrays Arrays { get; }

    /// <summary>Reuses the arrays of chunks (and of tables built on them) that nothing reads any more.</summary>
    internal virtual void Recycle(params Table[] tables) => Arrays.Return(tables);

    private protected abstract Task OpenCoreAsync(CancellationToken cancellationToken);

    private protected abstract IAsyncEnumerable<TableChunk> ReadCoreAsync(
        IReadOnlyList<string> columns, IReadOnlyDictionary<string, ColumnType> types, string typeReason, CancellationToken cancellationToken);
}
