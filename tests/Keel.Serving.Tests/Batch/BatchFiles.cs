using Keel.Tabular;
using Keel.Tabular.Chunks;
using Keel.Testing;

namespace Keel.Serving.Tests.Batch;

/// <summary>Files for the batch tests: written into a temporary folder, read back whole or in chunks.</summary>
internal sealed class BatchFiles : IDisposable
{
    private readonly TempDirectory _folder = new("keel-batch-");

    public string Path(string name) => _folder.Combine(name);

    public string Write(string name, string text)
    {
        var path = Path(name);
        File.WriteAllText(path, text);
        return path;
    }

    public static async Task<List<TableChunk>> ReadChunksAsync(
        string path, int chunkRows, IReadOnlyList<string>? columns = null, IReadOnlyDictionary<string, ColumnType>? types = null)
    {
        await using var reader = await TableChunkReader.OpenAsync(path, chunkRows);
        var chunks = new List<TableChunk>();
        await foreach (var chunk in reader.ReadAsync(columns, types, "the test says so"))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    /// <summary>The chunks' rows as one table (column by column, as text), to compare with a whole-file read.</summary>
    public static string?[][] Text(IEnumerable<TableChunk> chunks) =>
        Transpose(chunks.Select(c => c.Table).ToList());

    public static string?[][] Text(Table table) => Transpose([table]);

    public void Dispose() => _folder.Dispose();

    private static string?[][] Transpose(List<Table> tables) =>
        [.. Enumerable.Range(0, tables[0].ColumnCount).Select(c => tables.SelectMany(t => t[c].ToStrings()).ToArray())];
}
