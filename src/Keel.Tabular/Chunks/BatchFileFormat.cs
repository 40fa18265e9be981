using Keel.Core.Errors;

namespace Keel.Tabular.Chunks;

/// <summary>The file formats batch scoring reads and writes, chosen by extension.</summary>
public enum BatchFileFormat
{
    /// <summary><c>.csv</c>: a header row, then one row per line (RFC 4180 quoting).</summary>
    Csv,

    /// <summary><c>.parquet</c>, <c>.pq</c>.</summary>
    Parquet,

    /// <summary><c>.jsonl</c>, <c>.ndjson</c>: one JSON object per line.</summary>
    JsonLines,
}

public static class BatchFileFormats
{
    /// <summary>The format a file name's extension stands for; anything else is a KeelException naming the file.</summary>
    public static BatchFileFormat Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (Is(extension, ".csv"))
        {
            return BatchFileFormat.Csv;
        }

        if (Is(extension, ".parquet") || Is(extension, ".pq"))
        {
            return BatchFileFormat.Parquet;
        }

        if (Is(extension, ".jsonl") || Is(extension, ".ndjson"))
        {
            return BatchFileFormat.JsonLines;
        }

        throw KeelException.Invalid(
            $"'{path}' has the extension '{extension}', which is not a table format; use .csv, .parquet (or .pq), .jsonl (or .ndjson).");
    }

    /// <summary>How messages name a file: <c>CSV file 'in.csv'</c>.</summary>
    internal static string Describe(BatchFileFormat format, string path) => format switch
    {
        BatchFileFormat.Csv => $"CSV file '{path}'",
        BatchFileFormat.Parquet => $"Parquet file '{path}'",
        _ => $"JSON lines file '{path}'",
    };

    private static bool Is(string extension, string expected) => string.Equals(extension, expected, StringComparison.OrdinalIgnoreCase);
}
