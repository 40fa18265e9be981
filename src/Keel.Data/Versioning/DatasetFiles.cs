using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Chunking;

namespace Keel.Data.Versioning;

/// <summary>The files a dataset version is made of: one file, or a folder's files with '/'-separated paths, sorted.</summary>
public static class DatasetFiles
{
    /// <summary>One file: its path inside the version, where it is read from, and its length.</summary>
    public sealed record Entry(string Path, string FullPath, long Length);

    /// <summary>
    /// A file gives itself (named by its file name); a folder gives every file under it. A symbolic
    /// link is followed when it points inside the folder and is an error naming it when it points
    /// outside (or nowhere); a folder reached twice through links is read once.
    /// </summary>
    public static IReadOnlyList<Entry> Collect(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var info = new FileInfo(full);
            var real = info.LinkTarget is null ? info : (FileInfo?)info.ResolveLinkTarget(returnFinalTarget: true);
            if (real is null || !real.Exists)
            {
                throw KeelException.Invalid($"'{path}' is a symbolic link to a file that does not exist.");
            }

            return [new Entry(info.Name, real.FullName, real.Length)];
        }

        if (!Directory.Exists(full))
        {
            throw KeelException.Invalid($"'{path}' is neither a file nor a folder.");
        }

        var root = new DirectoryInfo(full).LinkTarget is null ? full : new DirectoryInfo(full).ResolveLinkTarget(true)!.FullName;
        var files = new List<Entry>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        Walk(root, root, "", files, visited);
        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return files;
    }

    private static void Walk(string root, string folder, string prefix, List<Entry> files, HashSet<string> visited)
    {
        if (!visited.Add(folder))
        {
            return;
        }

        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (UnauthorizedAccessException)
        {
            throw KeelException.Invalid($"Cannot read folder '{(prefix.Length == 0 ? "." : prefix.TrimEnd('/'))}' ({folder}): permission denied.");
        }

        foreach (var entry in entries)
        {
            var relative = prefix + entry.Name;
            if (DatasetManifest.CheckPath(relative) is { } rule)
            {
                throw KeelException.Invalid($"'{relative}' cannot be part of a dataset: {rule}.");
            }

            var target = entry;
            if (entry.LinkTarget is not null)
            {
                var resolved = entry.ResolveLinkTarget(returnFinalTarget: true);
                if (resolved is null || !resolved.Exists)
                {
                    throw KeelException.Invalid($"'{relative}' is a symbolic link to '{entry.LinkTarget}', which does not exist.");
                }

                if (!Inside(root, resolved.FullName))
                {
                    throw KeelException.Invalid(
                        $"'{relative}' is a symbolic link to '{resolved.FullName}', outside the dataset folder '{root}'; copy the file in or add that folder instead.");
                }

                target = resolved;
            }

            if (target is DirectoryInfo directory)
            {
                Walk(root, directory.FullName, relative + "/", files, visited);
            }
            else if (target is FileInfo file)
            {
                files.Add(new Entry(relative, file.FullName, file.Length));
            }
        }
    }

    /// <summary>
    /// Chunks every file of <paramref name="path"/> in order, handing each chunk to
    /// <paramref name="window"/> (which stores what the store lacks), and returns the manifest to
    /// commit. Unreadable files are errors naming them. The window is flushed before returning.
    /// </summary>
    public static async Task<DatasetManifest> ChunkAsync(
        string path, ChunkWindow window, Action<long, long, string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        var files = Collect(path);
        var total = files.Sum(f => f.Length);
        var done = 0L;
        var manifestFiles = new List<ManifestFile>(files.Count);
        foreach (var file in files)
        {
            IReadOnlyList<ChunkRef> chunks;
            try
            {
                chunks = await ContentChunker.ChunkFileAsync(file.FullPath, ChunkingOptions.Default, async (chunk, bytes, token) =>
                {
                    await window.AddAsync(chunk, bytes, token);
                    done += chunk.Size;
                    progress?.Invoke(done, total, file.Path);
                }, ct);
            }
            catch (UnauthorizedAccessException e)
            {
                throw KeelException.Invalid($"Cannot read '{file.Path}' ({file.FullPath}): permission denied. {e.Message}");
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                throw KeelException.Invalid($"Cannot read '{file.Path}' ({file.FullPath}): {e.Message}");
            }

            manifestFiles.Add(new ManifestFile(file.Path, chunks.Sum(c => (long)c.Size), [.. chunks.Select(c => new ChunkInfo(c.Hash, c.Size))]));
        }

        await window.FlushAsync(ct);
        return new DatasetManifest(manifestFiles);
    }

    private static bool Inside(string root, string path) =>
        string.Equals(path, root, StringComparison.Ordinal) || path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
