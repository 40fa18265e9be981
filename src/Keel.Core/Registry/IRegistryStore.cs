using Keel.Core.Search;
using Keel.Core.Tracking;

namespace Keel.Core.Registry;

/// <summary>
/// Storage primitives of the model registry (reference §3). Reads return null and writes return
/// false / a <see cref="VersionWrite"/> for what does not exist; <see cref="RegistryService"/> turns
/// those into MLflow's errors, validates input, and builds the conveniences.
/// </summary>
public interface IRegistryStore
{
    /// <summary>Creates the model; a taken name throws RESOURCE_ALREADY_EXISTS.</summary>
    Task<RegisteredModel> CreateRegisteredModelAsync(string name, string? description, IReadOnlyList<KeyValue> tags, long now, CancellationToken ct);

    Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken ct);

    /// <summary>Renames the model and everything that refers to it; a taken name throws RESOURCE_ALREADY_EXISTS.</summary>
    Task<bool> RenameRegisteredModelAsync(string name, string newName, long now, CancellationToken ct);

    Task<bool> UpdateRegisteredModelAsync(string name, string? description, long now, CancellationToken ct);

    /// <summary>Hard delete of the model with its versions, tags, aliases and history.</summary>
    Task<bool> DeleteRegisteredModelAsync(string name, CancellationToken ct);

    Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegistryQuery query, CancellationToken ct);

    Task<bool> SetRegisteredModelTagAsync(string name, KeyValue tag, CancellationToken ct);

    Task<bool> DeleteRegisteredModelTagAsync(string name, string key, CancellationToken ct);

    /// <summary>
    /// Creates the next version: max(existing, soft-deleted included) + 1, without gaps or
    /// duplicates under concurrent calls. Null when the model does not exist.
    /// </summary>
    Task<ModelVersion?> CreateModelVersionAsync(NewModelVersion version, CancellationToken ct);

    /// <summary>A live (not deleted) version, with its aliases.</summary>
    Task<ModelVersion?> GetModelVersionAsync(string name, long version, CancellationToken ct);

    /// <summary>The storage location of a live version (its source when none was resolved).</summary>
    Task<string?> GetDownloadUriAsync(string name, long version, CancellationToken ct);

    Task<bool> UpdateModelVersionAsync(string name, long version, string? description, long now, CancellationToken ct);

    /// <summary>Soft delete: redacts the version, drops its aliases (recorded in the history).</summary>
    Task<bool> DeleteModelVersionAsync(string name, long version, long now, string? userId, CancellationToken ct);

    /// <summary>Moves a version to a canonical stage, optionally archiving the others in it; recorded in the history.</summary>
    Task<ModelVersion?> TransitionStageAsync(
        string name, long version, string stage, bool archiveExisting, long now, string? userId, CancellationToken ct);

    /// <summary>For each requested canonical stage, the highest live version in it.</summary>
    Task<IReadOnlyList<ModelVersion>?> GetLatestVersionsAsync(string name, IReadOnlyList<string> stages, CancellationToken ct);

    Task<Page<ModelVersion>> SearchModelVersionsAsync(RegistryQuery query, CancellationToken ct);

    Task<bool> SetModelVersionTagAsync(string name, long version, KeyValue tag, CancellationToken ct);

    Task<bool> DeleteModelVersionTagAsync(string name, long version, string key, CancellationToken ct);

    /// <summary>Points the alias at the version (moving it if set); recorded in the history.</summary>
    Task<VersionWrite> SetAliasAsync(string name, string alias, long version, long now, string? userId, CancellationToken ct);

    /// <summary>Removes the alias if set (no error when it is not); false when the model does not exist.</summary>
    Task<bool> DeleteAliasAsync(string name, string alias, long now, string? userId, CancellationToken ct);

    /// <summary>The version an alias points at; null when the alias is unset.</summary>
    Task<long?> GetAliasVersionAsync(string name, string alias, CancellationToken ct);

    /// <summary>Every alias move and stage transition of a model, oldest first; null when the model does not exist.</summary>
    Task<IReadOnlyList<RegistryChange>?> GetHistoryAsync(string name, CancellationToken ct);
}
