using Keel.Core.Errors;

namespace Keel.Core.Registry;

/// <summary>The four stages of the classic registry workflow (reference §3.3), and the hidden one of deleted versions.</summary>
public static class ModelStages
{
    public const string None = "None";
    public const string Staging = "Staging";
    public const string Production = "Production";
    public const string Archived = "Archived";

    /// <summary>Soft-deleted versions keep their row (numbers are never reused) under this stage and are hidden from every read.</summary>
    public const string DeletedInternal = "Deleted_Internal";

    public static readonly IReadOnlyList<string> All = [None, Staging, Production, Archived];

    /// <summary>The canonical spelling of a stage given in any case; anything else is a 400 naming the valid stages.</summary>
    public static string Canonical(string? stage, string field = "stage")
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate, stage, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw KeelException.Invalid(
            $"Invalid Model Version stage: {stage}. Value must be one of {string.Join(", ", All)}. (field '{field}')");
    }

    /// <summary>Stages that `archive_existing_versions` may be used with.</summary>
    public static bool IsActive(string canonicalStage) => canonicalStage is Staging or Production;
}
