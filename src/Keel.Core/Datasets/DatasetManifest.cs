using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keel.Core.Errors;

namespace Keel.Core.Datasets;

/// <summary>One file of a dataset version: its path inside the version, size and chunks in order.</summary>
public sealed record ManifestFile(string Path, long Size, IReadOnlyList<ChunkInfo> Chunks);

/// <summary>
/// What a dataset version holds: its files (sorted by path, ordinal) and each file's chunks. The
/// version id is the first 32 hex characters (128 bits) of the SHA-256 of the canonical JSON — short
/// enough for MLflow's 36-character dataset digest, which is where runs record it; chunks keep the
/// full 256-bit hash.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>Files a version may hold at most.</summary>
    public const int MaxFiles = 1_000_000;

    /// <summary>Longest path inside a version, in characters.</summary>
    public const int MaxPathLength = 1024;

    public DatasetManifest(IEnumerable<ManifestFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        Files = [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
        Validate(Files);
        Canonical = Serialize(Files);
        Id = Convert.ToHexStringLower(SHA256.HashData(Canonical))[..32];
    }

    public IReadOnlyList<ManifestFile> Files { get; }

    public string Id { get; }

    /// <summary>The canonical UTF-8 JSON: <c>{"files":[{"path":…,"size":…,"chunks":[["hash",size],…]},…]}</c>, no spaces.</summary>
    public byte[] Canonical { get; }

    public long SizeBytes => Files.Sum(f => f.Size);

    /// <summary>Every distinct chunk hash the version references.</summary>
    public IReadOnlyCollection<string> ChunkHashes => Files.SelectMany(f => f.Chunks).Select(c => c.Hash).ToHashSet(StringComparer.Ordinal);

    /// <summary>Reads a manifest (canonical or not); errors name the field.</summary>
    public static DatasetManifest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            return FromJson(document.RootElement, "manifest");
        }
        catch (JsonException e)
        {
            throw KeelException.Invalid($"The dataset manifest is not valid JSON: {e.Message}");
        }
    }

    /// <summary>A manifest from <c>{"files": [{"path", "size", "chunks": [["hash", size], …]}]}</c>; <paramref name="field"/> prefixes errors.</summary>
    public static DatasetManifest FromJson(JsonElement root, string field)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw KeelException.Invalid($"'{field}' must be an object with 'files', a list of {{\"path\", \"size\", \"chunks\"}}.");
        }

        var list = new List<ManifestFile>();
        var i = 0;
        foreach (var file in files.EnumerateArray())
        {
            var where = $"{field}.files[{i++}]";
            if (file.ValueKind != JsonValueKind.Object)
            {
                throw KeelException.Invalid($"'{where}' must be an object with 'path', 'size' and 'chunks'.");
            }

            var path = file.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()!
                : throw KeelException.Invalid($"'{where}.path' is required and must be a string.");
            var size = file.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var sv) && sv >= 0 ? sv
                : throw KeelException.Invalid($"'{where}.size' is required and must be a non-negative integer.");
            if (!file.TryGetProperty("chunks", out var chunks) || chunks.ValueKind != JsonValueKind.Array)
            {
                throw KeelException.Invalid($"'{where}.chunks' is required and must be a list of [hash, size] pairs.");
            }

            var refs = new List<ChunkInfo>();
            var c = 0;
            foreach (var chunk in chunks.EnumerateArray())
            {
                var at = $"{where}.chunks[{c++}]";
                if (chunk.ValueKind != JsonValueKind.Array || chunk.GetArrayLength() != 2
                    || chunk[0].ValueKind != JsonValueKind.String || chunk[1].ValueKind != JsonValueKind.Number
                    || !chunk[1].TryGetInt64(out var length) || length <= 0)
                {
                    throw KeelException.Invalid($"'{at}' must be a [hash, size] pair: a SHA-256 in lowercase hex and a positive length.");
                }

                refs.Add(new ChunkInfo(chunk[0].GetString()!, length));
            }

            list.Add(new ManifestFile(path, size, refs));
        }

        return new DatasetManifest(list);
    }

    /// <summary>True for 64 lowercase hex characters (a SHA-256).</summary>
    public static bool IsChunkHash(string? hash) =>
        hash is { Length: 64 } && hash.All(ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>
    /// A path inside a version: relative, '/'-separated, no empty, '.' or '..' segment, no
    /// backslash or control character; null when valid, else the rule it breaks.
    /// </summary>
    public static string? CheckPath(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "it is empty";
        }

        if (path.Length > MaxPathLength)
        {
            return $"it is longer than {MaxPathLength} characters";
        }

        if (path[0] == '/' || path.Contains('\\', StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            return "it must be relative, '/'-separated, without backslashes or control characters";
        }

        return path.Split('/').Any(s => s.Length == 0 || s == "." || s == "..")
            ? "it must not have empty, '.' or '..' segments (no path may leave the dataset folder)"
            : null;
    }

    private static void Validate(IReadOnlyList<ManifestFile> files)
    {
        if (files.Count > MaxFiles)
        {
            throw KeelException.Invalid($"A dataset version holds at most {MaxFiles:N0} files; this one has {files.Count:N0}.");
        }

        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            if (CheckPath(file.Path) is { } rule)
            {
                throw KeelException.Invalid($"Invalid file path '{file.Path}' in the dataset manifest: {rule}.");
            }

            if (i > 0 && string.Equals(files[i - 1].Path, file.Path, StringComparison.Ordinal))
            {
                throw KeelException.Invalid($"The dataset manifest lists '{file.Path}' twice.");
            }

            var total = 0L;
            foreach (var chunk in file.Chunks)
            {
                if (!IsChunkHash(chunk.Hash))
                {
                    throw KeelException.Invalid($"File '{file.Path}' names chunk '{chunk.Hash}', which is not a SHA-256 in lowercase hex (64 characters).");
                }

                total += chunk.Size;
            }

            if (total != file.Size)
            {
                throw KeelException.Invalid($"File '{file.Path}' has size {file.Size} but its chunks add up to {total}.");
            }
        }
    }

    private static byte[] Serialize(IReadOnlyList<ManifestFile> files)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var file in files)
            {
                w.WriteStartObject();
                w.WriteString("path", file.Path);
                w.WriteNumber("size", file.Size);
                w.WriteStartArray("chunks");
                foreach (var chunk in file.Chunks)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(chunk.Hash);
                    w.WriteNumberValue(chunk.Size);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public override string ToString() => Encoding.UTF8.GetString(Canonical);
}
