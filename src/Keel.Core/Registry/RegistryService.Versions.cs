using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Tracking;
using Keel.Core.Validation;

namespace Keel.Core.Registry;

public sealed partial class RegistryService
{
    public async Task<ModelVersion> CreateModelVersionAsync(
        string? name, string? source, string? runId, IReadOnlyList<KeyValue> tags, string? runLink, string? description, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        TrackingValidator.Required(source, "source");
        TrackingValidator.MaxLength(source, Limits.MaxModelVersionSourceLength, "source");
        RegistryValidator.Description(description);
        foreach (var tag in tags)
        {
            RegistryValidator.Tag(tag, "Model version");
        }

        runId = string.IsNullOrEmpty(runId) ? null : runId;
        var storage = await ResolveSourceAsync(source!, runId, ct);
        var created = await store.CreateModelVersionAsync(
            new NewModelVersion(name!, source!, storage.Location, runId ?? storage.RunId, string.IsNullOrEmpty(runLink) ? null : runLink,
                string.IsNullOrEmpty(description) ? null : description, Distinct(tags), Now, null),
            ct);
        return created ?? throw ModelNotFound(name!);
    }

    public async Task<ModelVersion> GetModelVersionAsync(string? name, string? version, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        return await store.GetModelVersionAsync(name!, number, ct) ?? throw VersionNotFound(name!, number);
    }

    public async Task<ModelVersion> UpdateModelVersionAsync(string? name, string? version, string? description, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        RegistryValidator.Description(description);
        if (!await store.UpdateModelVersionAsync(name!, number, description, Now, ct))
        {
            throw VersionNotFound(name!, number);
        }

        return await GetModelVersionAsync(name, version, ct);
    }

    public async Task DeleteModelVersionAsync(string? name, string? version, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        if (!await store.DeleteModelVersionAsync(name!, number, Now, null, ct))
        {
            throw VersionNotFound(name!, number);
        }
    }

    public async Task<ModelVersion> TransitionStageAsync(string? name, string? version, string? stage, bool archiveExisting, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        TrackingValidator.Required(stage, "stage");
        var canonical = ModelStages.Canonical(stage);
        if (archiveExisting && !ModelStages.IsActive(canonical))
        {
            throw KeelException.Invalid(
                $"Model version transition cannot archive existing model versions because '{stage}' is not an Active stage. Valid stages are {ModelStages.Staging}, {ModelStages.Production}");
        }

        return await store.TransitionStageAsync(name!, number, canonical, archiveExisting, Now, null, ct)
            ?? throw VersionNotFound(name!, number);
    }

    public async Task<string> GetDownloadUriAsync(string? name, string? version, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        return await store.GetDownloadUriAsync(name!, number, ct) ?? throw VersionNotFound(name!, number);
    }

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(
        string? filter, IReadOnlyList<string> orderBy, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var query = Query(
            SearchFilterParser.ParseModelVersionFilter(filter),
            SearchFilterParser.ParseModelVersionOrderBy(orderBy),
            RegistryValidator.MaxResults(maxResults, Limits.DefaultModelVersionsPerPage, Limits.MaxModelVersionsPerPage),
            pageToken);
        return store.SearchModelVersionsAsync(query, ct);
    }

    public async Task SetModelVersionTagAsync(string? name, string? version, string? key, string? value, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        if (value is null)
        {
            throw KeelException.Invalid("Tag value cannot be None (field 'value').");
        }

        var tag = new KeyValue(key ?? string.Empty, value);
        RegistryValidator.Tag(tag, "Model version");
        if (!await store.SetModelVersionTagAsync(name!, number, tag, ct))
        {
            throw VersionNotFound(name!, number);
        }
    }

    public async Task DeleteModelVersionTagAsync(string? name, string? version, string? key, CancellationToken ct)
    {
        RegistryValidator.ModelName(name);
        var number = RegistryValidator.Version(version);
        TrackingValidator.Required(key, "key");
        if (!await store.DeleteModelVersionTagAsync(name!, number, key!, ct))
        {
            throw VersionNotFound(name!, number);
        }
    }

    /// <summary>
    /// The live version a `models:/` URI names (a version, an alias, a stage or the latest). A
    /// reference that resolves to nothing is a 404 naming the URI.
    /// </summary>
    public async Task<ModelVersion> ResolveAsync(string? uri, CancellationToken ct)
    {
        TrackingValidator.Required(uri, "model_uri");
        var reference = ModelReference.Parse(uri!);
        switch (reference.Kind)
        {
            case ModelReferenceKind.Version:
                return await GetModelVersionAsync(reference.Name, reference.Value, ct);
            case ModelReferenceKind.Alias:
                return await GetModelVersionByAliasAsync(reference.Name, reference.Value, ct);
            default:
                var stages = reference.Kind == ModelReferenceKind.Latest ? [] : new[] { reference.Value };
                var latest = await GetLatestVersionsAsync(reference.Name, stages, ct);
                return latest.MaxBy(v => v.Version)
                    ?? throw KeelException.NotFound(reference.Kind == ModelReferenceKind.Latest
                        ? $"No versions of registered model '{reference.Name}' exist ({uri})."
                        : $"No versions of registered model '{reference.Name}' are in stage '{ModelStages.Canonical(reference.Value)}' ({uri}).");
        }
    }

    /// <summary>
    /// Where a new version's files are (reference §3.3 "Source validation", "Download URI"):
    /// `models:/` and `runs:/` sources resolve to what they point at; local paths must lie inside
    /// the run's artifact folder; other URIs must not climb out with `..`.
    /// </summary>
    private async Task<(string Location, string? RunId)> ResolveSourceAsync(string source, string? runId, CancellationToken ct)
    {
        if (ModelReference.IsModelsUri(source))
        {
            var target = await ResolveAsync(source, ct);
            var location = await store.GetDownloadUriAsync(target.Name, target.Version, ct) ?? target.Source;
            return (location, target.RunId);
        }

        if (RunReference.IsRunsUri(source))
        {
            var reference = RunReference.Parse(source);
            RegistryValidator.RemoteSource(reference.Path);
            var run = await tracking.GetRunInfoAsync(reference.RunId, ct)
                ?? throw KeelException.NotFound($"Run with id={reference.RunId} not found (source '{source}').");
            return (reference.Path.Length == 0 ? run.ArtifactUri : $"{run.ArtifactUri.TrimEnd('/')}/{reference.Path}", run.RunId);
        }

        if (IsLocal(source))
        {
            await ValidateLocalSourceAsync(source, runId, ct);
            return (source, null);
        }

        RegistryValidator.RemoteSource(source);
        return (source, null);
    }

    private async Task ValidateLocalSourceAsync(string source, string? runId, CancellationToken ct)
    {
        if (runId is not null && await tracking.GetRunInfoAsync(runId, ct) is { } run && IsLocal(run.ArtifactUri))
        {
            var path = Path.GetFullPath(LocalPath(source));
            var root = Path.GetFullPath(LocalPath(run.ArtifactUri)).TrimEnd(Path.DirectorySeparatorChar);
            if (string.Equals(path, root, StringComparison.Ordinal) || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw KeelException.Invalid(
            $"Invalid model version source: '{source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.");
    }

    private static bool IsLocal(string uri) =>
        uri.StartsWith("file:", StringComparison.Ordinal) || uri.StartsWith('/') || uri.StartsWith('.') || !uri.Contains(':', StringComparison.Ordinal);

    private static string LocalPath(string uri) =>
        uri.StartsWith("file://", StringComparison.Ordinal) ? Uri.UnescapeDataString(new Uri(uri).AbsolutePath)
        : uri.StartsWith("file:", StringComparison.Ordinal) ? uri["file:".Length..]
        : uri;
}
