using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Tracking;
using Keel.Core.Validation;

namespace Keel.Core.Registry;

/// <summary>
/// Model registry behaviour (reference §3.3): validation, MLflow's errors and messages, source
/// resolution, and the conveniences, each built on <see cref="IRegistryStore"/> primitives.
/// </summary>
public sealed partial class RegistryService(IRegistryStore store, ITrackingStore tracking, TimeProvider clock)
{
    public IRegistryStore Store => store;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------- registered models

    public Task<RegisteredModel> CreateRegisteredModelAsync(string? name, string? description, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        RegistryValidator.Description(description);
        foreach (var tag in tags)
        {
            RegistryValidator.Tag(tag, "Registered model");
        }

        return store.CreateRegisteredModelAsync(name!, description, Distinct(tags), Now, ct);
    }

    public async Task<RegisteredModel> GetRegisteredModelAsync(string? name, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        return await store.GetRegisteredModelAsync(name!, ct) ?? throw ModelNotFound(name!);
    }

    public async Task<RegisteredModel> RenameRegisteredModelAsync(string? name, string? newName, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        RegistryValidator.ModelName(newName, "new_name");
        if (!await store.RenameRegisteredModelAsync(name!, newName!, Now, ct))
        {
            throw ModelNotFound(name!);
        }

        return await GetRegisteredModelAsync(newName, ct);
    }

    public async Task<RegisteredModel> UpdateRegisteredModelAsync(string? name, string? description, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        RegistryValidator.Description(description);
        if (!await store.UpdateRegisteredModelAsync(name!, description, Now, ct))
        {
            throw ModelNotFound(name!);
        }

        return await GetRegisteredModelAsync(name, ct);
    }

    public async Task DeleteRegisteredModelAsync(string? name, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        if (!await store.DeleteRegisteredModelAsync(name!, ct))
        {
            throw ModelNotFound(name!);
        }
    }

    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(
        string? filter, IReadOnlyList<string> orderBy, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var query = Query(
            SearchFilterParser.ParseRegisteredModelFilter(filter),
            SearchFilterParser.ParseRegisteredModelOrderBy(orderBy),
            RegistryValidator.MaxResults(maxResults, Limits.DefaultRegisteredModelsPerPage, Limits.MaxRegisteredModelsPerPage),
            pageToken);
        return store.SearchRegisteredModelsAsync(query, ct);
    }

    public async Task SetRegisteredModelTagAsync(string? name, string? key, string? value, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var tag = new KeyValue(key ?? string.Empty, value ?? string.Empty);
        RegistryValidator.Tag(tag, "Registered model");
        if (!await store.SetRegisteredModelTagAsync(name!, tag, ct))
        {
            throw ModelNotFound(name!);
        }
    }

    public async Task DeleteRegisteredModelTagAsync(string? name, string? key, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        TrackingValidator.Required(key, "key");
        if (!await store.DeleteRegisteredModelTagAsync(name!, key!, ct))
        {
            throw ModelNotFound(name!);
        }
    }

    public async Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string? name, IReadOnlyList<string> stages, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var canonical = stages.Count == 0 ? ModelStages.All : stages.Select(s => ModelStages.Canonical(s, "stages")).Distinct().ToList();
        return await store.GetLatestVersionsAsync(name!, canonical, ct) ?? throw ModelNotFound(name!);
    }

    // ---------------------------------------------------------------- aliases and history

    public async Task SetAliasAsync(string? name, string? alias, string? version, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        RegistryValidator.Alias(alias);
        var number = RegistryValidator.Version(version);
        switch (await store.SetAliasAsync(name!, alias!, number, Now, null, ct))
        {
            case VersionWrite.ModelMissing:
                throw ModelNotFound(name!);
            case VersionWrite.VersionMissing:
                throw VersionNotFound(name!, number);
        }
    }

    public async Task DeleteAliasAsync(string? name, string? alias, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        TrackingValidator.Required(alias, "alias");
        if (!await store.DeleteAliasAsync(name!, alias!, Now, null, ct))
        {
            throw ModelNotFound(name!);
        }
    }

    /// <summary>An unset alias is a 400 INVALID_PARAMETER_VALUE, as in MLflow (reference §10.4).</summary>
    public async Task<ModelVersion> GetModelVersionByAliasAsync(string? name, string? alias, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        TrackingValidator.Required(alias, "alias");
        var version = await store.GetAliasVersionAsync(name!, alias!, ct);
        if (version is null)
        {
            if (await store.GetRegisteredModelAsync(name!, ct) is null)
            {
                throw ModelNotFound(name!);
            }

            throw KeelException.Invalid($"Registered model alias {alias} not found.");
        }

        return await store.GetModelVersionAsync(name!, version.Value, ct) ?? throw VersionNotFound(name!, version.Value);
    }

    public async Task<IReadOnlyList<RegistryChange>> GetHistoryAsync(string? name, string? alias, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var history = await store.GetHistoryAsync(name!, ct) ?? throw ModelNotFound(name!);
        return string.IsNullOrEmpty(alias)
            ? history
            : history.Where(h => h.Kind == RegistryChangeKind.Alias && string.Equals(h.Key, alias, StringComparison.Ordinal)).ToList();
    }

    private static RegistryQuery Query(IReadOnlyList<Comparison> filter, IReadOnlyList<OrderBy> orderBy, int maxResults, string? pageToken) =>
        new(filter, orderBy, maxResults, string.IsNullOrEmpty(pageToken) ? null : pageToken);

    private static IReadOnlyList<KeyValue> Distinct(IReadOnlyList<KeyValue> tags)
    {
        // A repeated key keeps its last value, as MLflow's dict of tags does.
        var byKey = new Dictionary<string, KeyValue>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byKey[tag.Key] = tag;
        }

        return byKey.Count == tags.Count ? tags : [.. byKey.Values];
    }

    internal static KeelException ModelNotFound(string name) =>
        KeelException.NotFound($"Registered Model with name={name} not found");

    internal static KeelException VersionNotFound(string name, long version) =>
        KeelException.NotFound($"Model Version (name={name}, version={version}) not found");
}
