using Keel.Core.Errors;

namespace Keel.Tabular;

/// <summary>
/// Reads CSV and Parquet files into a <see cref="Table"/>: the tables evaluation, batch scoring and
/// the CSV form of <c>/invocations</c> take. The format follows the file extension
/// (<c>.csv</c>, <c>.parquet</c>); a stream names its format.
/// </summary>
public static partial class TableReader
{
    /// <summary>The format a file name's extension stands for; anything else is a KeelException.</summary>
    public static TableFormat FormatOf(string path)
    {
        var extension = Path.GetExtension(path);
        if (string.Equals(extension, ".csv", StringComparison.OrdinalIgnoreCase))
        {
            return TableFormat.Csv;
        }

        if (string.Equals(extension, ".parquet", StringComparison.OrdinalIgnoreCase)
            || string.Equals(extension, ".pq", StringComparison.OrdinalIgnoreCase))
        {
            return TableFormat.Parquet;
        }

        throw KeelException.Invalid(
            $"Cannot read '{path}' as a table: the extension '{extension}' is not one of .csv, .parquet.");
    }

    /// <summary>Reads a .csv or .parquet file.</summary>
    public static async Task<Table> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var format = FormatOf(path);
        if (!File.Exists(path))
        {
            throw KeelException.NotFound($"Table file '{path}' does not exist.");
        }

        await using var stream = new FileStream(
            path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);
        return await ReadAsync(stream, format, path, cancellationToken);
    }

    /// <summary>Reads a table from a stream in the given format; the stream is left open.</summary>
    public static Task<Table> ReadAsync(Stream stream, TableFormat format, CancellationToken cancellationToken = default) =>
        ReadAsync(stream, format, source: null, cancellationToken);

    private static Task<Table> ReadAsync(Stream stream, TableFormat format, string? source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return format switch
        {
            TableFormat.Csv => ReadCsvAsync(stream, source, cancellationToken),
            TableFormat.Parquet => ReadParquetAsync(stream, source, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown table format."),
        };
    }

    private static string Describe(string? source, string format) => source is null ? $"The {format} input" : $"{format} file '{source}'";
}
