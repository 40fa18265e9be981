using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Validation;

namespace Keel.Core.Tracking;

public sealed partial class TrackingService
{
    public async Task<Run> CreateRunAsync(
        long experimentId, string? userId, string? runName, long? startTime, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        var batch = TrackingValidator.Batch(new RunBatch([], [], tags));
        tags = batch.Tags;
        var experiment = await store.GetExperimentAsync(experimentId, ct)
            ?? throw KeelException.NotFound($"No Experiment with id={experimentId} exists");
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw KeelException.Invalid(
                $"The experiment {experimentId} must be in the 'active' state. Current state is {experiment.LifecycleStage}.");
        }

        // run_name and the mlflow.runName tag are one value (reference §6.2).
        var tagName = tags.LastOrDefault(t => t.Key == ReservedTags.RunName)?.Value;
        if (!string.IsNullOrEmpty(runName) && !string.IsNullOrEmpty(tagName) && runName != tagName)
        {
            throw KeelException.Invalid(
                $"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{runName}', mlflow.runName='{tagName}').");
        }

        var name = !string.IsNullOrEmpty(runName) ? runName : !string.IsNullOrEmpty(tagName) ? tagName : RunNameGenerator.Next(Random.Shared);
        TrackingValidator.MaxLength(name, Limits.MaxRunNameLength, "run_name");
        TrackingValidator.MaxLength(userId, Limits.MaxUserIdLength, "user_id");
        var allTags = tags.Where(t => t.Key != ReservedTags.RunName).Append(new KeyValue(ReservedTags.RunName, name)).ToList();
        var runId = Guid.NewGuid().ToString("N");
        var start = startTime ?? Now;
        await store.CreateRunAsync(new NewRun(runId, experimentId, name, userId, start, allTags), ct);
        // Everything in a new run is known here; reading it back would only cost the writer's latency.
        var info = new RunInfo(runId, name, experimentId, userId, RunStatus.RUNNING, start, null,
            $"{experiment.ArtifactLocation}/{runId}/artifacts", LifecycleStage.Active);
        return new Run(info, [], [], allTags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), []);
    }

    public async Task<Run> GetRunAsync(string? runId, CancellationToken ct)
    {
        TrackingValidator.Required(runId, "run_id");
        return await store.GetRunAsync(runId!, ct) ?? throw RunNotFound(runId!);
    }

    public async Task<RunInfo> UpdateRunAsync(string? runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct)
    {
        var info = await RequireActiveRunAsync(runId, ct);
        if (!string.IsNullOrEmpty(runName))
        {
            TrackingValidator.MaxLength(runName, Limits.MaxRunNameLength, "run_name");
        }

        await store.UpdateRunAsync(info.RunId, new RunUpdate(status, endTime, string.IsNullOrEmpty(runName) ? null : runName), ct);
        return (await store.GetRunInfoAsync(info.RunId, ct))!;
    }

    public async Task DeleteRunAsync(string? runId, CancellationToken ct)
    {
        var info = await RequireRunAsync(runId, ct);
        await store.SetRunLifecycleAsync(info.RunId, LifecycleStage.Deleted, Now, ct);
    }

    public async Task RestoreRunAsync(string? runId, CancellationToken ct)
    {
        var info = await RequireRunAsync(runId, ct);
        await store.SetRunLifecycleAsync(info.RunId, LifecycleStage.Active, Now, ct);
    }

    /// <summary>Validates the whole batch before anything is written; the store writes it atomically.</summary>
    public async Task LogBatchAsync(string? runId, RunBatch batch, CancellationToken ct)
    {
        TrackingValidator.RunId(runId);
        batch = TrackingValidator.Batch(batch);
        var info = await RequireActiveRunAsync(runId, ct);
        if (batch.Metrics.Count == 0 && batch.Params.Count == 0 && batch.Tags.Count == 0)
        {
            return;
        }

        await store.LogBatchAsync(info.RunId, batch, ct);
    }

    public Task LogMetricAsync(string? runId, Metric metric, CancellationToken ct) =>
        LogBatchAsync(runId, new RunBatch([metric], [], []), ct);

    public Task LogParamAsync(string? runId, KeyValue param, CancellationToken ct) =>
        LogBatchAsync(runId, new RunBatch([], [param], []), ct);

    public Task SetTagAsync(string? runId, KeyValue tag, CancellationToken ct) =>
        LogBatchAsync(runId, new RunBatch([], [], [tag]), ct);

    public async Task DeleteTagAsync(string? runId, string? key, CancellationToken ct)
    {
        TrackingValidator.Required(key, "key");
        var info = await RequireActiveRunAsync(runId, ct);
        if (!await store.DeleteRunTagAsync(info.RunId, key!, ct))
        {
            throw KeelException.NotFound($"No tag with name: {key} in run with id {info.RunId}");
        }
    }

    public async Task LogInputsAsync(string? runId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct)
    {
        TrackingValidator.RunId(runId);
        TrackingValidator.DatasetInputs(inputs);
        var info = await RequireActiveRunAsync(runId, ct);
        if (inputs.Count > 0)
        {
            await store.LogInputsAsync(info.RunId, info.ExperimentId, inputs, ct);
        }
    }

    /// <summary>Appends the model's MLmodel dict to the run's `mlflow.log-model.history` tag (reference §6.2).</summary>
    public async Task LogModelAsync(string? runId, string? modelJson, CancellationToken ct)
    {
        TrackingValidator.Required(modelJson, "model_json");
        JsonObject model;
        try
        {
            model = JsonNode.Parse(modelJson!) as JsonObject
                ?? throw KeelException.Invalid("Malformed model info. 'model_json' must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw KeelException.Invalid($"Malformed model info. 'model_json' is not valid JSON: {e.Message}");
        }

        foreach (var field in new[] { "artifact_path", "flavors", "utc_time_created", "run_id" })
        {
            if (!model.ContainsKey(field))
            {
                throw KeelException.Invalid($"Model json is missing mandatory fields: ['{field}']");
            }
        }

        var run = await GetRunAsync(runId, ct);
        if (run.Info.LifecycleStage != LifecycleStage.Active)
        {
            throw NotActive(run.Info);
        }

        var history = run.Tags.FirstOrDefault(t => t.Key == ReservedTags.LogModelHistory) is { } existing
            && JsonNode.Parse(existing.Value) is JsonArray array ? array : [];
        history.Add(model);
        var value = PythonJson.Dumps(history);
        TrackingValidator.MaxLength(value, Limits.MaxModelJsonLength, ReservedTags.LogModelHistory);
        await store.LogBatchAsync(run.Info.RunId, new RunBatch([], [], [new KeyValue(ReservedTags.LogModelHistory, value)]), ct);
    }

    /// <summary>
    /// Metric history ordered by (timestamp, step, value). Without <paramref name="maxResults"/>
    /// the whole history comes back (npm and R clients rely on it, reference §10.3).
    /// </summary>
    public async Task<(IAsyncEnumerable<Metric> Points, Func<Metric?, int, string?> NextToken)> GetMetricHistoryAsync(
        string? runId, string? key, int? maxResults, string? pageToken, CancellationToken ct)
    {
        TrackingValidator.Required(key, "metric_key");
        var info = await RequireRunAsync(runId, ct);
        if (maxResults is < 1)
        {
            throw KeelException.Invalid($"Invalid value {maxResults} for parameter 'max_results': it must be a positive integer.");
        }

        var after = string.IsNullOrEmpty(pageToken) ? null : HistoryCursor.Decode(pageToken, key!);
        var points = store.GetMetricHistoryAsync(info.RunId, key!, after, maxResults, ct);
        // The token is the last point returned: the next page starts strictly after it.
        return (points, (last, count) => maxResults is { } m && count == m && last is not null ? HistoryCursor.Encode(last) : null);
    }

    /// <summary>Sampled history of one metric over several runs (reference §2.4, "bulk-interval").</summary>
    public async Task<IReadOnlyList<MetricWithRunId>> GetMetricHistoryBulkIntervalAsync(
        IReadOnlyList<string> runIds, string? key, long? startStep, long? endStep, int? maxResults, CancellationToken ct)
    {
        TrackingValidator.Required(key, "metric_key");
        if (runIds.Count == 0)
        {
            throw KeelException.Missing("run_ids");
        }

        if (runIds.Count > Limits.MaxBulkIntervalRunIds)
        {
            throw KeelException.Invalid(
                $"GetMetricHistoryBulkInterval request must specify at most {Limits.MaxBulkIntervalRunIds} run_ids. Received {runIds.Count} run_ids.");
        }

        var max = maxResults ?? Limits.MaxBulkIntervalResults;
        if (max < 1 || max > Limits.MaxBulkIntervalResults)
        {
            throw KeelException.Invalid(
                $"max_results must be between 1 and {Limits.MaxBulkIntervalResults}. Received {max}.");
        }

        if ((startStep is null) != (endStep is null))
        {
            throw KeelException.Invalid("If either start step or end step are specified, both must be specified.");
        }

        if (startStep > endStep)
        {
            throw KeelException.Invalid("end_step must be greater than start_step.");
        }

        foreach (var id in runIds)
        {
            await RequireRunAsync(id, ct);
        }

        var points = await store.GetMetricPointsAsync(runIds, key!, startStep, endStep, ct);
        return MetricSampling.SampleByStep(points, startStep, endStep, max);
    }

    public Task<Page<Run>> SearchRunsAsync(
        IReadOnlyList<long> experimentIds, string? filter, IReadOnlyList<string> orderBy, ViewType viewType,
        long? maxResults, string? pageToken, CancellationToken ct)
    {
        var max = maxResults ?? Limits.DefaultRunsPerPage;
        if (max < 1 || max > Limits.MaxRunsPerPage)
        {
            throw KeelException.Invalid(
                $"Invalid value {max} for parameter 'max_results' supplied. It must be at most {Limits.MaxRunsPerPage}, but got value {max}");
        }

        var query = new RunQuery(
            experimentIds,
            SearchFilterParser.ParseRunFilter(filter),
            SearchFilterParser.ParseRunOrderBy(orderBy),
            viewType,
            (int)max,
            string.IsNullOrEmpty(pageToken) ? null : pageToken);
        return experimentIds.Count == 0 ? Task.FromResult(new Page<Run>([], null)) : store.SearchRunsAsync(query, ct);
    }

    private async Task<RunInfo> RequireRunAsync(string? runId, CancellationToken ct)
    {
        TrackingValidator.Required(runId, "run_id");
        return await store.GetRunInfoAsync(runId!, ct) ?? throw RunNotFound(runId!);
    }

    private async Task<RunInfo> RequireActiveRunAsync(string? runId, CancellationToken ct)
    {
        var info = await RequireRunAsync(runId, ct);
        return info.LifecycleStage == LifecycleStage.Active ? info : throw NotActive(info);
    }

    private static KeelException NotActive(RunInfo info) => KeelException.Invalid(
        $"The run {info.RunId} must be in the 'active' state. Current state is {info.LifecycleStage}.");

    private static KeelException RunNotFound(string runId) => KeelException.NotFound($"Run with id={runId} not found");
}
