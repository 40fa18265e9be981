using Keel.Core.Datasets;
using Keel.Core.Errors;

namespace Keel.Client;

/// <summary>The files a dataset version is made of: one file, or a folder's files with '/'-separated paths, sorted.</summary>
internal static class DatasetFiles
{
    internal sealed record Entry(string Path, string FullPath, long Length);

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

    private static bool Inside(string root, string path) =>
        string.Equals(path, root, StringComparison.Ordinal) || path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
