using System.Collections.Concurrent;
using Keel.Core.Artifacts;
using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Data.Profiling;
using Keel.Data.Versioning;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;
using Keel.Server.Endpoints;
using Keel.Tabular.Chunks;

namespace Keel.Server.Monitoring;

/// <summary>
/// A monitor's reference inside keel server: a dataset version's stored profile, or — for
/// <c>training_data</c> — the Keel dataset version recorded as an input of the run that logged the
/// deployment's primary model (context <c>training</c> first, else the run's first Keel input).
/// </summary>
internal sealed class ServerMonitorReferences(
    DatasetService datasets, IDeploymentStore deployments, RegistryService registry, TrackingService tracking, IArtifactStore artifacts) : IMonitorReferenceSource
{
    /// <summary>Profiles of run artifacts, by URI: a logged artifact does not change, so it is read and profiled once per process.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<TableProfile>>> _artifactProfiles = new(StringComparer.Ordinal);

    public async Task<MonitorReferenceData> LoadAsync(MonitorSpec spec, CancellationToken ct)
    {
        if (spec.Reference.Artifact is { } artifact)
        {
            var lazy = _artifactProfiles.GetOrAdd(artifact, uri => new Lazy<Task<TableProfile>>(() => ProfileArtifactAsync(uri, CancellationToken.None)));
            try
            {
                return new MonitorReferenceData(artifact, DriftData.FromProfile(await lazy.Value.WaitAsync(ct)));
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                _artifactProfiles.TryRemove(artifact, out _); // a failure is not cached: the file may be logged later
                throw;
            }
        }

        string name;
        string? version;
        if (spec.Reference.Dataset is { } dataset)
        {
            var at = dataset.LastIndexOf('@');
            (name, version) = at < 0 ? (dataset, null) : (dataset[..at], dataset[(at + 1)..]);
        }
        else
        {
            (name, version) = await TrainingDataAsync(spec.Deployment, ct);
        }

        var profiles = await datasets.GetProfilesAsync(name, version, ct);
        if (profiles.Count == 0)
        {
            throw KeelException.Invalid($"Dataset {name}@{version ?? "latest"} has no tabular profile to monitor against (no CSV/Parquet/JSON lines file, or it was too large to profile on add: profile it with `keel data profile --compute`).");
        }

        var table = spec.Reference.Table ?? profiles.Keys.Order(StringComparer.Ordinal).First();
        if (!profiles.TryGetValue(table, out var profile))
        {
            throw KeelException.Invalid($"reference.table: '{table}' is not a tabular file of {name}@{version ?? "latest"} (files: {string.Join(", ", profiles.Keys.Order(StringComparer.Ordinal))}).");
        }

        return new MonitorReferenceData($"{name}@{version ?? "latest"}:{table}", DriftData.FromProfile(profile));
    }

    private async Task<TableProfile> ProfileArtifactAsync(string uri, CancellationToken ct)
    {
        var reference = RunReference.Parse(uri);
        BatchFileFormats.Of(reference.Path); // an unsupported extension fails here, before any download
        var info = (await tracking.GetRunAsync(reference.RunId, ct)).Info;
        var (store, root) = ArtifactsEndpoints.Locate(artifacts, info.ArtifactUri);
        if (store is null)
        {
            throw KeelException.Invalid($"The artifacts of run {reference.RunId} are at '{info.ArtifactUri}', which this server cannot read.");
        }

        var path = root.Length == 0 ? reference.Path : root + "/" + reference.Path;

        // A local copy: the profiler reads a file twice when a column's type widens on the way.
        var copy = Path.Combine(Path.GetTempPath(), "keel-reference-" + Guid.NewGuid().ToString("N") + Path.GetExtension(reference.Path));
        try
        {
            await using (var source = await store.OpenReadAsync(path, ct)
                ?? throw KeelException.NotFound($"Run {reference.RunId} has no artifact '{reference.Path}'."))
            {
                await using var target = File.Create(copy);
                await source.CopyToAsync(target, ct);
            }

            return await TableProfiler.ProfileAsync(token => TableChunkReader.OpenAsync(copy, cancellationToken: token), ProfileOptions.Default, ct);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    private async Task<(string Name, string Version)> TrainingDataAsync(string deploymentName, CancellationToken ct)
    {
        var deployment = await deployments.GetAsync(deploymentName, ct)
            ?? throw KeelException.NotFound($"Deployment '{deploymentName}' does not exist (the reference 'training_data' is read from its model's run).");
        var uri = deployment.Spec.Routes[0].ModelUri;
        if (!ModelReference.IsModelsUri(uri))
        {
            throw KeelException.Invalid($"Deployment '{deploymentName}' serves {uri}, not a registered model: name a reference dataset instead of training_data.");
        }

        var model = await registry.ResolveAsync(uri, ct);
        if (model.RunId is not { } runId)
        {
            throw KeelException.Invalid($"{uri} (version {model.Version}) has no source run, so its training data is unknown: name a reference dataset.");
        }

        var run = await tracking.GetRunAsync(runId, ct);
        var inputs = run.Inputs.Where(i => string.Equals(i.Dataset.SourceType, "keel", StringComparison.Ordinal)).ToList();
        var training = inputs.FirstOrDefault(i => i.Tags.Any(t => t.Key == ReservedTags.DataContext && t.Value == "training")) ?? inputs.FirstOrDefault()
            ?? throw KeelException.Invalid($"Run {runId}, which logged {uri}, recorded no Keel dataset as an input: name a reference dataset.");
        return (training.Dataset.Name, training.Dataset.Digest);
    }
}
