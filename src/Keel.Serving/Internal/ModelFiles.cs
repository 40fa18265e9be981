using Keel.Core.Errors;

namespace Keel.Serving.Internal;

internal static class ModelFiles
{
    /// <summary>
    /// A file an MLmodel field names, inside the model folder. A model comes from the registry, so a
    /// path that climbs out of its folder (<c>../</c>, an absolute path) is refused, not followed.
    /// </summary>
    public static string Resolve(string modelDirectory, string relative, string field)
    {
        var root = Path.GetFullPath(modelDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw KeelException.Invalid($"MLmodel field '{field}' is '{relative}', which is outside the model folder; it must name a file inside it.");
        }

        return File.Exists(full)
            ? full
            : throw KeelException.NotFound($"The model file '{relative}' named by MLmodel field '{field}' does not exist in '{modelDirectory}'.");
    }

    /// <summary>Bytes of every file under the folder except MLmodel itself, as MLflow counts model_size_bytes.</summary>
    public static long Size(string modelDirectory)
    {
        var manifest = Path.Combine(Path.GetFullPath(modelDirectory), Models.ModelManifest.FileName);
        return new DirectoryInfo(modelDirectory)
            .EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !string.Equals(f.FullName, manifest, StringComparison.Ordinal))
            .Sum(f => f.Length);
    }
}
