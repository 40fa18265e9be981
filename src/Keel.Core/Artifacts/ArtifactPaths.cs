using Keel.Core.Errors;

namespace Keel.Core.Artifacts;

/// <summary>
/// The one gate every client-supplied artifact path passes (reference §2.5): it is URL-decoded
/// until stable, and anything that could leave the artifact root is a 400.
/// </summary>
public static class ArtifactPaths
{
    /// <summary>Returns the normalised relative path ("" for the root) or throws INVALID_PARAMETER_VALUE.</summary>
    public static string Validate(string? raw, string field = "path")
    {
        if (string.IsNullOrEmpty(raw))
        {
            return string.Empty;
        }

        // Percent-encoding can hide '..' or '/' (%2e%2e%2f, even double-encoded): decode until stable.
        var path = raw;
        for (var i = 0; i < 5; i++)
        {
            var decoded = Uri.UnescapeDataString(path);
            if (decoded == path)
            {
                break;
            }

            path = decoded;
        }

        if (path.Contains('\0', StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal)
            || path.Contains('#', StringComparison.Ordinal) || path.StartsWith('/')
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
        {
            throw Invalid(raw, field);
        }

        var segments = path.Split('/');
        if (segments.Any(s => s == ".."))
        {
            throw Invalid(raw, field);
        }

        return string.Join('/', segments.Where(s => s.Length > 0 && s != "."));
    }

    public static string Combine(string root, string relative) =>
        root.Length == 0 ? relative : relative.Length == 0 ? root : $"{root.TrimEnd('/')}/{relative}";

    private static KeelException Invalid(string raw, string field) =>
        KeelException.Invalid($"Invalid path '{raw}' for parameter '{field}': artifact paths must be relative, without '..', backslashes, '#' or NUL.");
}
