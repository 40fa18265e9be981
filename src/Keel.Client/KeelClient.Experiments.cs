using System.Runtime.CompilerServices;
using Keel.Client.Internal;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>Creates an experiment.</summary>
    /// <param name="name">The name, unique among active and deleted experiments.</param>
    /// <param name="artifactLocation">Where its runs store artifacts; <see langword="null"/> for the server's default.</param>
    /// <param name="tags">Experiment tags, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new experiment's id.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_ALREADY_EXISTS</c> when the name is taken.</exception>
    public async Task<string> CreateExperimentAsync(
        string name,
        string? artifactLocation = null,
        IReadOnlyDictionary<string, string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await PostAsync(
            "experiments/create",
            new CreateExperimentRequest(name, artifactLocation, Mapping.ToDtos(tags)),
            WireJson.Default.CreateExperimentRequest,
            WireJson.Default.CreateExperimentResponse,
            cancellationToken);
        return response.ExperimentId ?? throw new KeelApiException(
            KeelErrorCodes.InternalError, "experiments/create answered without an experiment_id.", System.Net.HttpStatusCode.OK);
    }

    /// <summary>Gets an experiment by id (deleted experiments too).</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The experiment.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when there is none.</exception>
    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        var response = await GetAsync(
            "experiments/get", Query(("experiment_id", experimentId)), WireJson.Default.ExperimentResponse, cancellationToken);
        return Mapping.ToExperiment(response.Experiment ?? new ExperimentDto());
    }

    /// <summary>Gets an experiment by its exact name (deleted experiments too).</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The experiment, or <see langword="null"/> when no experiment has this name.</returns>
    public async Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            var response = await GetAsync(
                "experiments/get-by-name", Query(("experiment_name", name)), WireJson.Default.ExperimentResponse, cancellationToken);
            return response.Experiment is null ? null : Mapping.ToExperiment(response.Experiment);
        }
        catch (KeelApiException ex) when (string.Equals(ex.ErrorCode, KeelErrorCodes.ResourceDoesNotExist, StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>
    /// Returns the id of the experiment named <paramref name="name"/>, creating it when there is
    /// none (what <c>mlflow.set_experiment</c> does). Safe against a concurrent creator.
    /// </summary>
    /// <param name="name">The experiment name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The experiment id.</returns>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await GetExperimentByNameAsync(name, cancellationToken);
        if (existing is not null)
        {
            return existing.ExperimentId;
        }

        try
        {
            return await CreateExperimentAsync(name, cancellationToken: cancellationToken);
        }
        catch (KeelApiException ex) when (string.Equals(ex.ErrorCode, KeelErrorCodes.ResourceAlreadyExists, StringComparison.Ordinal))
        {
            // Someone else created it between our two calls (or a deleted experiment holds the name).
            var created = await GetExperimentByNameAsync(name, cancellationToken);
            if (created is null)
            {
                throw;
            }

            return created.ExperimentId;
        }
    }

    /// <summary>Searches experiments, one page at a time.</summary>
    /// <param name="filter">A filter such as <c>name LIKE 'churn%' AND tags.team = 'ml'</c>; <see langword="null"/> for all.</param>
    /// <param name="orderBy">Sort keys such as <c>name ASC</c> or <c>creation_time DESC</c>.</param>
    /// <param name="maxResults">The page size (1 to 50,000).</param>
    /// <param name="viewType">Which lifecycle stages to return.</param>
    /// <param name="pageToken">The token of the page to fetch; <see langword="null"/> for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public async Task<Page<Experiment>> SearchExperimentsAsync(
        string? filter = null,
        IReadOnlyList<string>? orderBy = null,
        int maxResults = 1000,
        ViewType viewType = ViewType.ActiveOnly,
        string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        var response = await PostAsync(
            "experiments/search",
            new SearchExperimentsRequest(
                maxResults, NullIfEmpty(pageToken), NullIfEmpty(filter), ToList(orderBy), Mapping.ToWire(viewType)),
            WireJson.Default.SearchExperimentsRequest,
            WireJson.Default.SearchExperimentsResponse,
            cancellationToken);
        var items = (response.Experiments ?? []).Select(Mapping.ToExperiment).ToList();
        return new Page<Experiment>(items, NullIfEmpty(response.NextPageToken));
    }

    /// <summary>Searches experiments and enumerates every match, following page tokens.</summary>
    /// <param name="filter">A filter; <see langword="null"/> for all.</param>
    /// <param name="orderBy">Sort keys.</param>
    /// <param name="viewType">Which lifecycle stages to return.</param>
    /// <param name="pageSize">How many experiments to fetch per request.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The experiments in order.</returns>
    public async IAsyncEnumerable<Experiment> EnumerateExperimentsAsync(
        string? filter = null,
        IReadOnlyList<string>? orderBy = null,
        ViewType viewType = ViewType.ActiveOnly,
        int pageSize = 1000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await SearchExperimentsAsync(filter, orderBy, pageSize, viewType, token, cancellationToken);
            foreach (var experiment in page.Items)
            {
                yield return experiment;
            }

            token = page.NextPageToken;
        }
        while (token is not null);
    }

    /// <summary>Deletes an experiment and marks all its runs deleted (restorable).</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        return PostAsync("experiments/delete", new ExperimentIdRequest(experimentId), WireJson.Default.ExperimentIdRequest, cancellationToken);
    }

    /// <summary>Restores a deleted experiment and its runs.</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        return PostAsync("experiments/restore", new ExperimentIdRequest(experimentId), WireJson.Default.ExperimentIdRequest, cancellationToken);
    }

    /// <summary>Renames an active experiment (MLflow's <c>experiments/update</c>).</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="newName">The new, unique name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        ArgumentException.ThrowIfNullOrEmpty(newName);
        return PostAsync(
            "experiments/update", new UpdateExperimentRequest(experimentId, newName), WireJson.Default.UpdateExperimentRequest, cancellationToken);
    }

    /// <summary>Sets (adds or replaces) a tag of an active experiment.</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task SetExperimentTagAsync(string experimentId, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return PostAsync(
            "experiments/set-experiment-tag",
            new SetExperimentTagRequest(experimentId, key, value),
            WireJson.Default.SetExperimentTagRequest,
            cancellationToken);
    }

    /// <summary>Deletes a tag of an active experiment.</summary>
    /// <param name="experimentId">The id.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when the tag is not set.</exception>
    public Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        return PostAsync(
            "experiments/delete-experiment-tag",
            new DeleteExperimentTagRequest(experimentId, key),
            WireJson.Default.DeleteExperimentTagRequest,
            cancellationToken);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static List<string>? ToList(IReadOnlyList<string>? values) =>
        values is null || values.Count == 0 ? null : [.. values];
}
