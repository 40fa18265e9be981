using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Keel.Client.Internal;

/// <summary>
/// Downloaded models on local disk: `sha256/HASH/` holds one model's files (HASH over their paths,
/// sizes and bytes, so equal files are stored once), `index/KEY.json` maps an artifact URI to the
/// hash and the listing it was downloaded from. A load whose listing (paths and sizes) still matches
/// reads from disk without downloading.
/// </summary>
internal sealed class ModelCache(string root)
{
    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable("KEEL_MODEL_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "keel", "models");

    public (string Folder, string Hash)? TryGet(string artifactUri, IReadOnlyList<ArtifactFileInfo> files)
    {
        var indexFile = IndexFile(artifactUri);
        if (!File.Exists(indexFile))
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize<IndexEntry>(File.ReadAllText(indexFile));
            var folder = entry is null ? null : Path.Combine(root, "sha256", entry.Hash);
            return entry is not null && string.Equals(entry.ArtifactUri, artifactUri, StringComparison.Ordinal)
                && Listing(files).SequenceEqual(entry.Files) && Directory.Exists(folder)
                ? (folder, entry.Hash)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<(string Folder, string Hash)> AddAsync(
        string artifactUri, IReadOnlyList<ArtifactFileInfo> files, Func<string, CancellationToken, Task> download, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(root, "tmp", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            await download(staging, cancellationToken);
            var hash = await HashAsync(staging, cancellationToken);
            var folder = Path.Combine(root, "sha256", hash);
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            try
            {
                Directory.Move(staging, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another load stored the same content first; its copy is identical.
            }

            var indexFile = IndexFile(artifactUri);
            Directory.CreateDirectory(Path.GetDirectoryName(indexFile)!);
            var partial = indexFile + "." + Guid.NewGuid().ToString("N");
            await File.WriteAllTextAsync(partial, JsonSerializer.Serialize(new IndexEntry(artifactUri, hash, Listing(files))), cancellationToken);
            File.Move(partial, indexFile, overwrite: true);
            return (folder, hash);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private string IndexFile(string artifactUri) =>
        Path.Combine(root, "index", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(artifactUri))) + ".json");

    private static List<string> Listing(IReadOnlyList<ArtifactFileInfo> files) =>
        [.. files.Select(f => $"{f.Path}\t{f.FileSize}").Order(StringComparer.Ordinal)];

    /// <summary>SHA-256 over each file's relative path, size and bytes, in ordinal path order.</summary>
    private static async Task<string> HashAsync(string folder, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                     .Select(f => (Full: f, Relative: Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/')))
                     .OrderBy(f => f.Relative, StringComparer.Ordinal))
        {
            await using var stream = File.OpenRead(file.Full);
            sha.AppendData(Encoding.UTF8.GetBytes($"{file.Relative}\0{stream.Length}\0"));
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private sealed record IndexEntry(string ArtifactUri, string Hash, List<string> Files);
}
