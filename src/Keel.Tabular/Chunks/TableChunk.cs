
namespace Keel.Tabular.Chunks;

/// <summary>
/// Consecutive rows of a file, as a <see cref="Table"/>.
/// </summary>
/// <param name="Table">The rows.</param>
/// <param name="FirstRow">The position of the first row among the file's data rows, from 0.</param>
/// <param name="Progress">How much of the file has been read once this chunk is (0 to 1): bytes for text files, rows for Parquet.</param>
public sealed record TableChunk(Table Table, long FirstRow, double Progress)
{
    public int RowCount => Table.RowCount;
}
