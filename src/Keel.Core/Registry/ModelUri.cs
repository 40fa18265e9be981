using Keel.Core.Errors;

namespace Keel.Core.Registry;

/// <summary>What a `models:/` URI names: a version, an alias, a stage, or the latest version.</summary>
public enum ModelReferenceKind
{
    Version,
    Alias,
    Stage,
    Latest,
}

/// <summary>
/// A parsed `models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/STAGE` or `models:/NAME/latest`
/// URI (reference §6.4), parsed as MLflow's `_parse_model_uri` does.
/// </summary>
public sealed record ModelReference(string Name, ModelReferenceKind Kind, string Value)
{
    public const string Scheme = "models:";

    public static bool IsModelsUri(string? uri) => uri is not null && uri.StartsWith(Scheme, StringComparison.Ordinal);

    public static ModelReference Parse(string uri)
    {
        var error = KeelException.Invalid(
            $"Not a proper models:/ URI: '{uri}'. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.");
        if (!IsModelsUri(uri))
        {
            throw error;
        }

        var path = uri[Scheme.Length..];
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            // models://profile/name/… carries a registry host we do not use; the path starts after it.
            var slash = path.IndexOf('/', 2);
            path = slash < 0 ? string.Empty : path[slash..];
        }

        if (!path.StartsWith('/') || path.Length <= 1)
        {
            throw error;
        }

        var parts = path[1..].Split('/');
        if (parts.Length > 2 || parts[0].Trim().Length == 0)
        {
            throw error;
        }

        if (parts.Length == 2)
        {
            var (name, suffix) = (parts[0], parts[1]);
            if (suffix.Trim().Length == 0)
            {
                throw error;
            }

            return suffix.All(char.IsAsciiDigit) ? new ModelReference(name, ModelReferenceKind.Version, suffix)
                : string.Equals(suffix, "latest", StringComparison.OrdinalIgnoreCase) ? new ModelReference(name, ModelReferenceKind.Latest, suffix)
                : new ModelReference(name, ModelReferenceKind.Stage, suffix);
        }

        var at = parts[0].LastIndexOf('@');
        if (at < 0 || parts[0][(at + 1)..].Trim().Length == 0)
        {
            throw error;
        }

        return new ModelReference(parts[0][..at], ModelReferenceKind.Alias, parts[0][(at + 1)..]);
    }

    public override string ToString() => Kind switch
    {
        ModelReferenceKind.Alias => $"models:/{Name}@{Value}",
        _ => $"models:/{Name}/{Value}",
    };
}

/// <summary>A parsed `runs:/RUN_ID/PATH` URI.</summary>
public sealed record RunReference(string RunId, string Path)
{
    public const string Scheme = "runs:";

    /// <summary>The name a served run model goes by: its artifact path with '/' as '-', or `model`.</summary>
    public string ModelName => Path.Length == 0 ? "model" : Path.Replace('/', '-');

    public static bool IsRunsUri(string? uri) => uri is not null && uri.StartsWith(Scheme, StringComparison.Ordinal);

    public static RunReference Parse(string uri)
    {
        var rest = IsRunsUri(uri) ? uri[Scheme.Length..].TrimStart('/') : string.Empty;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var runId = slash < 0 ? rest : rest[..slash];
        if (runId.Length == 0)
        {
            throw KeelException.Invalid($"Not a proper runs:/ URI: '{uri}'. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'.");
        }

        return new RunReference(runId, slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/'));
    }
}
