using System.Globalization;
using System.Text.RegularExpressions;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Core.Validation;

/// <summary>Names, versions, aliases and tags of the model registry (reference §4). Pure: no I/O.</summary>
public static partial class RegistryValidator
{
    [GeneratedRegex(@"^[\w\-]*$")]
    private static partial Regex AliasCharacters();

    [GeneratedRegex(@"^[vV]\d+$")]
    private static partial Regex VersionLikeAlias();

    public static void ModelName(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw KeelException.Invalid($"Registered model name cannot be empty (field '{field}').");
        }

        if (name.Length > Limits.MaxRegisteredModelNameLength)
        {
            throw KeelException.Invalid(
                $"Registered model name '{name[..64]}…' had length {name.Length}, which exceeded length limit of {Limits.MaxRegisteredModelNameLength} (field '{field}').");
        }
    }

    /// <summary>A version number as MLflow takes it: an integer, given as a string or a number.</summary>
    public static long Version(string? version, string field = "version")
    {
        if (string.IsNullOrEmpty(version))
        {
            throw KeelException.Missing(field);
        }

        return long.TryParse(version.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw KeelException.Invalid($"Parameter '{field}' must be an integer, got '{version}'.");
    }

    public static void Alias(string? alias, string field = "alias")
    {
        if (string.IsNullOrEmpty(alias))
        {
            throw KeelException.Invalid($"Registered model alias name cannot be empty (field '{field}').");
        }

        if (!AliasCharacters().IsMatch(alias))
        {
            throw KeelException.Invalid(
                $"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        }

        if (alias.Length > Limits.MaxAliasLength)
        {
            throw KeelException.Invalid(
                $"Registered model alias name '{alias[..64]}…' had length {alias.Length}, which exceeded length limit of {Limits.MaxAliasLength}.");
        }

        if (string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase))
        {
            throw KeelException.Invalid("'latest' alias name (case insensitive) is reserved.");
        }

        if (VersionLikeAlias().IsMatch(alias))
        {
            throw KeelException.Invalid($"Version alias name '{alias}' is reserved.");
        }
    }

    /// <param name="what">"Registered model" or "Model version", as MLflow's messages say.</param>
    public static void Tag(KeyValue tag, string what)
    {
        TrackingValidator.Key(tag.Key, "tag");
        if (tag.Value.Length > Limits.MaxRegistryTagValueLength)
        {
            throw KeelException.Invalid(
                $"{what} value '{tag.Value[..250]}' had length {tag.Value.Length}, which exceeded length limit of {Limits.MaxRegistryTagValueLength}");
        }
    }

    public static void Description(string? description) =>
        TrackingValidator.MaxLength(description, Limits.MaxRegistryDescriptionLength, "description");

    public static int MaxResults(long? requested, int defaultValue, int limit)
    {
        var max = requested ?? defaultValue;
        if (max < 1 || max > limit)
        {
            throw KeelException.Invalid(
                $"Invalid value for request parameter max_results. It must be a positive integer at most {limit}, but got value {max}");
        }

        return (int)max;
    }

    /// <summary>
    /// Sources that are not local paths must not climb out of where they point (reference §3.3):
    /// after repeated URL-decoding, no `..` segment, no NUL, and nothing that normalises differently.
    /// </summary>
    public static void RemoteSource(string source)
    {
        var decoded = source;
        for (var i = 0; i < 10; i++)
        {
            var next = Uri.UnescapeDataString(decoded.Replace('+', ' '));
            if (string.Equals(next, decoded, StringComparison.Ordinal))
            {
                break;
            }

            decoded = next;
        }

        var path = decoded;
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            var afterAuthority = path.IndexOf('/', scheme + 3);
            path = afterAuthority < 0 ? string.Empty : path[afterAuthority..];
        }
        else if (path.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 && !path[..colon].Contains('/', StringComparison.Ordinal))
        {
            path = path[(colon + 1)..];
        }

        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0)
        {
            path = path[..query];
        }

        var segments = path.Split('/');
        if (path.Contains('\0', StringComparison.Ordinal) || segments.Any(s => s is ".." or "."))
        {
            throw KeelException.Invalid(
                $"Invalid model version source: '{source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.");
        }
    }
}
