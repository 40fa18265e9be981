using System.Globalization;
using Keel.Client.Internal;
using Keel.Core.Registry;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>Creates a registered model.</summary>
    /// <param name="name">The unique, case-sensitive name.</param>
    /// <param name="description">A description, if any.</param>
    /// <param name="tags">Tags, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new model.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_ALREADY_EXISTS</c> when the name is taken.</exception>
    public async Task<RegisteredModel> CreateRegisteredModelAsync(
        string name, string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await PostAsync("registered-models/create", new CreateRegisteredModelRequest(name, description, Mapping.ToDtos(tags)),
            WireJson.Default.CreateRegisteredModelRequest, WireJson.Default.RegisteredModelResponse, cancellationToken);
        return RegistryMapping.ToModel(response.RegisteredModel);
    }

    /// <summary>Gets a registered model with its latest versions, tags and aliases.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when there is none.</exception>
    public async Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await GetAsync("registered-models/get", Query(("name", name)), WireJson.Default.RegisteredModelResponse, cancellationToken);
        return RegistryMapping.ToModel(response.RegisteredModel);
    }

    /// <summary>Searches registered models (MLflow's filter grammar: <c>name LIKE 'iris%'</c>, <c>tags.team = 'ml'</c>).</summary>
    /// <param name="filter">The filter, or <see langword="null"/> for all.</param>
    /// <param name="orderBy">Order keys such as <c>name ASC</c> or <c>last_updated_timestamp DESC</c>.</param>
    /// <param name="maxResults">Page size, at most 1000; the server's default (100) when <see langword="null"/>.</param>
    /// <param name="pageToken">The token of the previous page, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of models.</returns>
    public async Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(
        string? filter = null, IReadOnlyList<string>? orderBy = null, int? maxResults = null, string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        var response = await GetAsync("registered-models/search", SearchQuery(filter, orderBy, maxResults, pageToken),
            WireJson.Default.SearchRegisteredModelsResponse, cancellationToken);
        return new Page<RegisteredModel>(
            (response.RegisteredModels ?? []).Select(RegistryMapping.ToModel).ToList(), response.NextPageToken);
    }

    /// <summary>Deletes a registered model with all its versions, tags and aliases.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the model is gone.</returns>
    public Task DeleteRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return SendJsonAsync(HttpMethod.Delete, ApiUri("registered-models/delete"), new NameRequest(name),
            WireJson.Default.NameRequest, WireJson.Default.EmptyDto, cancellationToken);
    }

    /// <summary>Sets a tag on a registered model.</summary>
    /// <param name="name">The model.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value (at most 5000 characters).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the tag is stored.</returns>
    public Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(key);
        return PostAsync("registered-models/set-tag", new SetRegistryTagRequest(name, null, key, value), WireJson.Default.SetRegistryTagRequest, cancellationToken);
    }

    /// <summary>Registers a new version of a model from where its files are.</summary>
    /// <param name="name">The registered model (it must exist).</param>
    /// <param name="source">A <c>runs:/RUN_ID/PATH</c>, <c>models:/NAME/VERSION</c>, <c>models:/NAME@ALIAS</c> or artifact URI.</param>
    /// <param name="runId">The run that produced it; taken from a <c>runs:/</c> source when not given.</param>
    /// <param name="description">A description, if any.</param>
    /// <param name="tags">Tags, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new version (numbered max + 1).</returns>
    public async Task<ModelVersion> CreateModelVersionAsync(
        string name, string source, string? runId = null, string? description = null, IReadOnlyDictionary<string, string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var response = await PostAsync("model-versions/create", new CreateModelVersionRequest(name, source, runId, description, Mapping.ToDtos(tags)),
            WireJson.Default.CreateModelVersionRequest, WireJson.Default.ModelVersionResponse, cancellationToken);
        return RegistryMapping.ToVersion(response.ModelVersion);
    }

    /// <summary>
    /// Registers <paramref name="source"/> as a new version of <paramref name="name"/>, creating the
    /// registered model first when it does not exist (what <c>mlflow.register_model</c> does).
    /// </summary>
    /// <param name="name">The registered model.</param>
    /// <param name="source">Where the model's files are, as for <see cref="CreateModelVersionAsync"/>.</param>
    /// <param name="runId">The run that produced it, if known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new version.</returns>
    public async Task<ModelVersion> RegisterModelAsync(string name, string source, string? runId = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await CreateRegisteredModelAsync(name, cancellationToken: cancellationToken);
        }
        catch (KeelApiException ex) when (string.Equals(ex.ErrorCode, KeelErrorCodes.ResourceAlreadyExists, StringComparison.Ordinal))
        {
            // Already registered: add a version to it.
        }

        return await CreateModelVersionAsync(name, source, runId, cancellationToken: cancellationToken);
    }

    /// <summary>Gets one version.</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version.</returns>
    public async Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(version);
        var response = await GetAsync("model-versions/get", Query(("name", name), ("version", version)), WireJson.Default.ModelVersionResponse, cancellationToken);
        return RegistryMapping.ToVersion(response.ModelVersion);
    }

    /// <summary>Searches model versions (<c>name = 'iris'</c>, <c>run_id = '…'</c>, <c>version_number &gt; 3</c>, <c>tags.k = 'v'</c>).</summary>
    /// <param name="filter">The filter, or <see langword="null"/> for all.</param>
    /// <param name="orderBy">Order keys such as <c>version_number DESC</c>.</param>
    /// <param name="maxResults">Page size; the server's default when <see langword="null"/>.</param>
    /// <param name="pageToken">The token of the previous page, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of versions.</returns>
    public async Task<Page<ModelVersion>> SearchModelVersionsAsync(
        string? filter = null, IReadOnlyList<string>? orderBy = null, int? maxResults = null, string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        var response = await GetAsync("model-versions/search", SearchQuery(filter, orderBy, maxResults, pageToken),
            WireJson.Default.ModelVersionsResponse, cancellationToken);
        return new Page<ModelVersion>((response.ModelVersions ?? []).Select(RegistryMapping.ToVersion).ToList(), response.NextPageToken);
    }

    /// <summary>Moves a version to a stage.</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="version">The version number.</param>
    /// <param name="stage"><c>None</c>, <c>Staging</c>, <c>Production</c> or <c>Archived</c> (any case).</param>
    /// <param name="archiveExistingVersions">Move the versions now in Staging/Production to Archived.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version after the move.</returns>
    public async Task<ModelVersion> TransitionModelVersionStageAsync(
        string name, string version, string stage, bool archiveExistingVersions = false, CancellationToken cancellationToken = default)
    {
        var response = await PostAsync("model-versions/transition-stage", new TransitionStageRequest(name, version, stage, archiveExistingVersions),
            WireJson.Default.TransitionStageRequest, WireJson.Default.ModelVersionResponse, cancellationToken);
        return RegistryMapping.ToVersion(response.ModelVersion);
    }

    /// <summary>Where a version's files are (what <c>models:/NAME/VERSION</c> downloads from).</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>An artifact URI such as <c>mlflow-artifacts:/1/RUN/artifacts/model</c>.</returns>
    public async Task<string> GetModelVersionDownloadUriAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var response = await GetAsync("model-versions/get-download-uri", Query(("name", name), ("version", version)),
            WireJson.Default.DownloadUriResponse, cancellationToken);
        return response.ArtifactUri ?? throw new KeelApiException(
            KeelErrorCodes.InternalError, "get-download-uri answered without an artifact_uri.", System.Net.HttpStatusCode.OK);
    }

    /// <summary>Points an alias (e.g. <c>champion</c>) at a version, moving it when it is set.</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="alias">The alias: letters, digits, <c>_</c> and <c>-</c>; not <c>latest</c> nor <c>v&lt;number&gt;</c>.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the alias is set.</returns>
    public Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default) =>
        PostAsync("registered-models/alias", new SetAliasRequest(name, alias, version), WireJson.Default.SetAliasRequest, cancellationToken);

    /// <summary>Removes an alias (no error when it is not set).</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the alias is gone.</returns>
    public Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Delete, ApiUri("registered-models/alias"), new DeleteAliasRequest(name, alias),
            WireJson.Default.DeleteAliasRequest, WireJson.Default.EmptyDto, cancellationToken);

    /// <summary>The version an alias points at.</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="alias">The alias.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version.</returns>
    /// <exception cref="KeelApiException"><c>INVALID_PARAMETER_VALUE</c> when the alias is not set (as MLflow answers).</exception>
    public async Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        var response = await GetAsync("registered-models/alias", Query(("name", name), ("alias", alias)), WireJson.Default.ModelVersionResponse, cancellationToken);
        return RegistryMapping.ToVersion(response.ModelVersion);
    }

    /// <summary>Every alias move and stage transition of a model, oldest first (Keel only).</summary>
    /// <param name="name">The registered model.</param>
    /// <param name="alias">Only this alias's moves, or <see langword="null"/> for everything.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The history.</returns>
    public async Task<IReadOnlyList<RegistryChange>> GetRegistryHistoryAsync(string name, string? alias = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await SendAsync(HttpMethod.Get, KeelApiUri("registered-models/alias-history", Query(("name", name), ("alias", alias))), null,
            WireJson.Default.AliasHistoryResponse, cancellationToken);
        return (response.History ?? []).Select(RegistryMapping.ToChange).ToList();
    }

    /// <summary>
    /// Resolves a model URI to the registry version it names: <c>models:/NAME/VERSION</c>,
    /// <c>models:/NAME@ALIAS</c>, <c>models:/NAME/STAGE</c> or <c>models:/NAME/latest</c>.
    /// </summary>
    /// <param name="modelUri">The URI.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version.</returns>
    /// <exception cref="Keel.Core.Errors.KeelException">The URI is not a well-formed <c>models:/</c> URI.</exception>
    public async Task<ModelVersion> ResolveModelVersionAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var (name, kind, value) = ModelReference.Parse(modelUri);
        switch (kind)
        {
            case ModelReferenceKind.Version:
                return await GetModelVersionAsync(name, value, cancellationToken);
            case ModelReferenceKind.Alias:
                return await GetModelVersionByAliasAsync(name, value, cancellationToken);
            default:
                var stages = kind == ModelReferenceKind.Latest ? [] : new[] { value };
                var response = await PostAsync("registered-models/get-latest-versions", new LatestVersionsRequest(name, stages),
                    WireJson.Default.LatestVersionsRequest, WireJson.Default.ModelVersionsResponse, cancellationToken);
                return (response.ModelVersions ?? []).Select(RegistryMapping.ToVersion)
                    .MaxBy(v => long.Parse(v.Version, CultureInfo.InvariantCulture))
                    ?? throw new KeelApiException(KeelErrorCodes.ResourceDoesNotExist,
                        $"No version of registered model '{name}' matches {modelUri}.", System.Net.HttpStatusCode.NotFound);
        }
    }

    private static string SearchQuery(string? filter, IReadOnlyList<string>? orderBy, int? maxResults, string? pageToken) =>
        string.Join('&', new[]
        {
            Query(("filter", filter), ("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)), ("page_token", pageToken)),
        }.Concat((orderBy ?? []).Select(o => Query(("order_by", o)))).Where(q => q.Length > 0));
}
