using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Validation;

namespace Keel.Core.Tracking;

/// <summary>
/// Experiment and run behaviour (reference §6): validation, lifecycle rules and the conveniences
/// MLflow offers, each built on one <see cref="ITrackingStore"/> primitive.
/// </summary>
public sealed partial class TrackingService(ITrackingStore store, TimeProvider clock, TrackingOptions options)
{
    public ITrackingStore Store => store;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public Task InitializeAsync(CancellationToken ct) =>
        store.InitializeAsync(DefaultExperimentLocation, Now, ct);

    private string DefaultExperimentLocation(long experimentId) =>
        $"{options.DefaultArtifactRoot.TrimEnd('/')}/{experimentId}";

    // ---------------------------------------------------------------- experiments

    public async Task<long> CreateExperimentAsync(string? name, string? artifactLocation, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        TrackingValidator.ExperimentName(name);
        TrackingValidator.ArtifactLocation(artifactLocation);
        foreach (var tag in tags)
        {
            TrackingValidator.ExperimentTag(tag);
        }

        if (await store.GetExperimentByNameAsync(name!, ct) is { } existing)
        {
            throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS,
                $"Experiment '{name}' already exists" + (existing.LifecycleStage == LifecycleStage.Deleted ? " in deleted state." : "."));
        }

        var location = string.IsNullOrEmpty(artifactLocation) ? null : artifactLocation;
        return await store.CreateExperimentAsync(new NewExperiment(name!, location, tags, Now), DefaultExperimentLocation, ct);
    }

    public async Task<Experiment> GetExperimentAsync(long experimentId, CancellationToken ct) =>
        await store.GetExperimentAsync(experimentId, ct)
        ?? throw KeelException.NotFound($"No Experiment with id={experimentId} exists");

    public async Task<Experiment> GetExperimentByNameAsync(string? name, CancellationToken ct)
    {
        TrackingValidator.Required(name, "experiment_name");
        return await store.GetExperimentByNameAsync(name!, ct)
            ?? throw KeelException.NotFound($"Could not find experiment with name '{name}'");
    }

    public Task<Page<Experiment>> SearchExperimentsAsync(
        string? filter, IReadOnlyList<string> orderBy, ViewType viewType, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var max = maxResults ?? Limits.DefaultExperimentsPerPage;
        if (max < 1 || max > Limits.MaxExperimentsPerPage)
        {
            throw KeelException.Invalid(
                $"Invalid value {max} for parameter 'max_results' supplied. It must be a positive integer at most {Limits.MaxExperimentsPerPage}.");
        }

        var query = new ExperimentQuery(
            SearchFilterParser.ParseExperimentFilter(filter),
            SearchFilterParser.ParseExperimentOrderBy(orderBy),
            viewType,
            (int)max,
            string.IsNullOrEmpty(pageToken) ? null : pageToken);
        return store.SearchExperimentsAsync(query, ct);
    }

    public async Task RenameExperimentAsync(long experimentId, string? newName, CancellationToken ct)
    {
        TrackingValidator.Required(newName, "new_name");
        TrackingValidator.ExperimentName(newName);
        var experiment = await GetExperimentAsync(experimentId, ct);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw new KeelException(ErrorCode.INVALID_STATE, "Cannot rename a non-active experiment.");
        }

        if (await store.GetExperimentByNameAsync(newName!, ct) is { } other && other.ExperimentId != experimentId)
        {
            throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Experiment '{newName}' already exists.");
        }

        await store.RenameExperimentAsync(experimentId, newName!, Now, ct);
    }

    public async Task DeleteExperimentAsync(long experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KeelException.NotFound($"Experiment {experimentId} is already deleted.");
        }

        await store.SetExperimentLifecycleAsync(experimentId, LifecycleStage.Deleted, Now, ct);
    }

    public async Task RestoreExperimentAsync(long experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct);
        if (experiment.LifecycleStage != LifecycleStage.Deleted)
        {
            throw KeelException.NotFound($"Cannot restore an active experiment {experimentId}.");
        }

        await store.SetExperimentLifecycleAsync(experimentId, LifecycleStage.Active, Now, ct);
    }

    public async Task SetExperimentTagAsync(long experimentId, string? key, string? value, CancellationToken ct)
    {
        TrackingValidator.Required(key, "key");
        var tag = new KeyValue(key!, value ?? string.Empty);
        TrackingValidator.ExperimentTag(tag);
        await RequireActiveExperimentAsync(experimentId, ct);
        await store.SetExperimentTagAsync(experimentId, tag, ct);
    }

    public async Task DeleteExperimentTagAsync(long experimentId, string? key, CancellationToken ct)
    {
        TrackingValidator.Required(key, "key");
        await RequireActiveExperimentAsync(experimentId, ct);
        if (!await store.DeleteExperimentTagAsync(experimentId, key!, ct))
        {
            throw KeelException.NotFound($"No tag with name: {key} in experiment with id {experimentId}");
        }
    }

    private async Task<Experiment> RequireActiveExperimentAsync(long experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct);
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KeelException.Invalid(
                $"The experiment {experimentId} must be in the 'active' state. Current state is {experiment.LifecycleStage}.");
        }

        return experiment;
    }
}

/// <summary>Tracking settings the service needs.</summary>
public sealed class TrackingOptions
{
    /// <summary>Root of new experiments' artifact locations; MLflow's proxied default.</summary>
    public string DefaultArtifactRoot { get; set; } = "mlflow-artifacts:/";
}
