using Keel.Core.Artifacts;
using Keel.Core.Errors;

namespace Keel.Storage.Artifacts.Local;

/// <summary>Artifacts in a folder on the local file system.</summary>
public sealed class LocalArtifactStore : IArtifactStore
{
    private const int BufferSize = 81_920;
    private readonly string _root;

    public LocalArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task WriteAsync(string path, Stream content, CancellationToken ct)
    {
        var target = Resolve(path);
        if (Directory.Exists(target))
        {
            throw KeelException.Invalid($"Cannot write artifact '{path}': a folder exists at that path.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Write beside the target and rename, so readers never see half a file.
        var temporary = $"{target}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                await content.CopyToAsync(file, BufferSize, ct);
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken ct) => Task.FromResult<Stream?>(Open(path, BufferSize));

    public Task<Stream?> OpenReadAsync(string path, long offset, long length, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);

        // No FileStream buffer: a range is read in a few large reads (chunks are about 1 MiB).
        if (Open(path, bufferSize: 0) is not { } file)
        {
            return Task.FromResult<Stream?>(null);
        }

        file.Position = offset;
        return Task.FromResult<Stream?>(new RangeStream(file, length));
    }

    private FileStream? Open(string path, int bufferSize)
    {
        var target = Resolve(path);
        return File.Exists(target)
            ? new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize, useAsync: true)
            : null;
    }

    public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string path, CancellationToken ct)
    {
        var target = Resolve(path);
        if (!Directory.Exists(target))
        {
            return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(null);
        }

        var entries = new DirectoryInfo(target).EnumerateFileSystemInfos()
            .Where(i => !i.Name.EndsWith(".partial", StringComparison.Ordinal))
            .Select(i => i is FileInfo f ? new ArtifactEntry(f.Name, false, f.Length) : new ArtifactEntry(i.Name, true, null))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(entries);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        var target = Resolve(path);
        if (File.Exists(target))
        {
            File.Delete(target);
            return Task.FromResult(true);
        }

        if (Directory.Exists(target) && target != _root)
        {
            Directory.Delete(target, recursive: true);
            return Task.FromResult(true);
        }

        return Task.FromResult(false);
    }

    public Task<int> DeleteAbandonedWritesAsync(string folder, DateTimeOffset before, CancellationToken ct)
    {
        var target = Resolve(folder);
        var deleted = 0;
        if (Directory.Exists(target))
        {
            // A write goes to "<target>.<guid>.partial" and is renamed when complete (WriteAsync).
            foreach (var partial in new DirectoryInfo(target).EnumerateFiles("*.partial", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                if (partial.LastWriteTimeUtc < before.UtcDateTime)
                {
                    partial.Delete();
                    deleted++;
                }
            }
        }

        return Task.FromResult(deleted);
    }

    /// <summary>Maps a validated relative path into the root, and refuses anything that would leave it.</summary>
    private string Resolve(string path)
    {
        var relative = ArtifactPaths.Validate(path);
        var full = Path.GetFullPath(Path.Combine(_root, relative));
        if (full != _root && !full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"Invalid path '{path}': it leaves the artifact root.");
        }

        // A symbolic link inside the root could still point outside it.
        for (var dir = new DirectoryInfo(full); dir is not null && dir.FullName.Length > _root.Length; dir = dir.Parent)
        {
            if (dir.LinkTarget is not null)
            {
                throw KeelException.Invalid($"Invalid path '{path}': it passes through a symbolic link.");
            }
        }

        return full;
    }
}
