namespace Keel.Client.Internal;

/// <summary>Artifact paths: relative, '/'-separated, never escaping the run's root (reference §2.5).</summary>
internal static class ArtifactPaths
{
    /// <summary>Checks a caller's artifact path and returns it without leading or trailing '/' ("" for the root).</summary>
    public static string Normalize(string? path, string parameterName)
    {
        if (string.IsNullOrEmpty(path) || path == ".")
        {
            return "";
        }

        // The server rejects these too; failing here names the parameter and saves a round trip.
        if (path.Contains('\\', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Artifact path '{path}' must use '/' separators and contain no '#'.", parameterName);
        }

        var trimmed = path.Trim('/');
        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                throw new ArgumentException($"Artifact path '{path}' must not contain empty, '.' or '..' segments.", parameterName);
            }
        }

        return trimmed;
    }

    public static string Combine(string folder, string relative) =>
        folder.Length == 0 ? relative : folder + "/" + relative;

    /// <summary>Escapes each segment for a URI path, keeping the '/' separators.</summary>
    public static string Escape(string relative) =>
        relative.Length == 0 ? "" : string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// The local file for an artifact path under <paramref name="destination"/>. Paths come from
    /// the server's listing, so a path that would leave the destination is refused.
    /// </summary>
    public static string ToLocal(string destination, string relative)
    {
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".." || s.Contains('\\', StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"The server listed an unsafe artifact path '{relative}'.");
        }

        var full = Path.GetFullPath(Path.Combine([destination, .. segments]));
        var root = Path.TrimEndingDirectorySeparator(destination) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The server listed an artifact path '{relative}' outside the destination.");
        }

        return full;
    }
}
