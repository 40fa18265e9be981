using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Data.Versioning;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;

namespace Keel.Server.Monitoring;

/// <summary>
/// A monitor's reference inside keel server: a dataset version's stored profile, or — for
/// <c>training_data</c> — the Keel dataset version recorded as an input of the run that logged the
/// deployment's primary model (context <c>training</c> first, else the run's first Keel input).
/// </summary>
internal sealed class ServerMonitorReferences(
    DatasetService datasets, IDeploymentStore deployments, RegistryService registry, TrackingService tracking) : IMonitorReferenceSource
{
    public async Task<MonitorReferenceData> LoadAsync(MonitorSpec spec, CancellationToken ct)
    {
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
