using System.Runtime.CompilerServices;
using Keel.Client.Internal;

namespace Keel.Client;

public sealed partial class KeelClient
{
    // Per-request limits of runs/log-batch (reference §4).
    private const int MaxBatchMetrics = 1000;
    private const int MaxBatchParams = 100;
    private const int MaxBatchTags = 100;

    // What MLflow's own clients request per page of metric history (reference §1.5).
    private const int MetricHistoryPageSize = 25_000;

    /// <summary>Creates a run in status RUNNING. Most programs use <see cref="StartRunAsync"/> instead, which also ends the run.</summary>
    /// <param name="experimentId">The experiment's id.</param>
    /// <param name="runName">The display name; <see langword="null"/> lets the server generate one.</param>
    /// <param name="tags">Run tags, if any.</param>
    /// <param name="startTime">The start time; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new run.</returns>
    public async Task<Run> CreateRunAsync(
        string experimentId,
        string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null,
        DateTimeOffset? startTime = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        var request = new CreateRunRequest(
            experimentId,
            NullIfEmpty(_options.UserName),
            NullIfEmpty(runName),
            startTime is { } start ? Mapping.ToMilliseconds(start) : NowMilliseconds(),
            Mapping.ToDtos(tags));
        var response = await PostAsync(
            "runs/create", request, WireJson.Default.CreateRunRequest, WireJson.Default.RunResponse, cancellationToken);
        return Mapping.ToRun(response.Run ?? new RunDto());
    }

    /// <summary>Gets a run (deleted runs too) with its latest metrics, parameters and tags.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The run.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when there is none.</exception>
    public async Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var response = await GetAsync("runs/get", Query(("run_id", runId)), WireJson.Default.RunResponse, cancellationToken);
        return Mapping.ToRun(response.Run ?? new RunDto());
    }

    /// <summary>Changes a run's status, end time or name; fields left <see langword="null"/> are not changed.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="status">The new status.</param>
    /// <param name="endTime">The end time.</param>
    /// <param name="runName">The new display name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The run's metadata after the change.</returns>
    public async Task<RunInfo> UpdateRunAsync(
        string runId,
        RunStatus? status = null,
        DateTimeOffset? endTime = null,
        string? runName = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var request = new UpdateRunRequest(
            runId,
            status is { } s ? Mapping.ToWire(s) : null,
            endTime is { } end ? Mapping.ToMilliseconds(end) : null,
            NullIfEmpty(runName));
        var response = await PostAsync(
            "runs/update", request, WireJson.Default.UpdateRunRequest, WireJson.Default.UpdateRunResponse, cancellationToken);
        return Mapping.ToRunInfo(response.RunInfo ?? new RunInfoDto { RunId = runId });
    }

    /// <summary>Ends a run: sets its status and the end time to now.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="status">The final status, usually <see cref="RunStatus.Finished"/>, <see cref="RunStatus.Failed"/> or <see cref="RunStatus.Killed"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The run's metadata after the change.</returns>
    public Task<RunInfo> EndRunAsync(string runId, RunStatus status, CancellationToken cancellationToken = default) =>
        UpdateRunAsync(runId, status, _options.TimeProvider.GetUtcNow(), cancellationToken: cancellationToken);

    /// <summary>Marks a run deleted (restorable).</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return PostAsync("runs/delete", new RunIdRequest(runId), WireJson.Default.RunIdRequest, cancellationToken);
    }

    /// <summary>Restores a deleted run.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return PostAsync("runs/restore", new RunIdRequest(runId), WireJson.Default.RunIdRequest, cancellationToken);
    }

    /// <summary>Searches runs, one page at a time.</summary>
    /// <param name="experimentIds">The experiments to search (at least one).</param>
    /// <param name="filter">
    /// MLflow's filter language, e.g. <c>metrics.rmse &lt; 0.5 AND params.model = 'tree' AND attributes.status = 'FINISHED'</c>;
    /// <see langword="null"/> for all.
    /// </param>
    /// <param name="orderBy">Sort keys such as <c>metrics.rmse ASC</c> or <c>attributes.start_time DESC</c>.</param>
    /// <param name="maxResults">The page size (1 to 50,000).</param>
    /// <param name="viewType">Which lifecycle stages to return.</param>
    /// <param name="pageToken">The token of the page to fetch; <see langword="null"/> for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page. A full page carries a token even when no run follows, so the last page may be empty.</returns>
    public async Task<Page<Run>> SearchRunsAsync(
        IReadOnlyList<string> experimentIds,
        string? filter = null,
        IReadOnlyList<string>? orderBy = null,
        int maxResults = 1000,
        ViewType viewType = ViewType.ActiveOnly,
        string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentIds);
        var request = new SearchRunsRequest(
            [.. experimentIds], NullIfEmpty(filter), Mapping.ToWire(viewType), maxResults, ToList(orderBy), NullIfEmpty(pageToken));
        var response = await PostAsync(
            "runs/search", request, WireJson.Default.SearchRunsRequest, WireJson.Default.SearchRunsResponse, cancellationToken);
        var items = (response.Runs ?? []).Select(Mapping.ToRun).ToList();
        return new Page<Run>(items, NullIfEmpty(response.NextPageToken));
    }

    /// <summary>Searches runs and enumerates every match, following page tokens.</summary>
    /// <param name="experimentIds">The experiments to search.</param>
    /// <param name="filter">MLflow's filter language; <see langword="null"/> for all.</param>
    /// <param name="orderBy">Sort keys.</param>
    /// <param name="viewType">Which lifecycle stages to return.</param>
    /// <param name="pageSize">How many runs to fetch per request.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The runs in order.</returns>
    public async IAsyncEnumerable<Run> EnumerateRunsAsync(
        IReadOnlyList<string> experimentIds,
        string? filter = null,
        IReadOnlyList<string>? orderBy = null,
        ViewType viewType = ViewType.ActiveOnly,
        int pageSize = 1000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await SearchRunsAsync(experimentIds, filter, orderBy, pageSize, viewType, token, cancellationToken);
            foreach (var run in page.Items)
            {
                yield return run;
            }

            token = page.NextPageToken;
        }
        while (token is not null);
    }

    /// <summary>Sets (adds or replaces) a run tag. Setting <c>mlflow.runName</c> renames the run.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task SetTagAsync(string runId, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return PostAsync("runs/set-tag", new SetTagRequest(runId, key, value), WireJson.Default.SetTagRequest, cancellationToken);
    }

    /// <summary>Deletes a run tag.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when the tag is not set.</exception>
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        return PostAsync("runs/delete-tag", new DeleteTagRequest(runId, key), WireJson.Default.DeleteTagRequest, cancellationToken);
    }

    /// <summary>Logs a parameter. Parameters are write-once: logging another value for the same key fails with <c>INVALID_PARAMETER_VALUE</c>.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The parameter name.</param>
    /// <param name="value">The value (may be empty).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task LogParamAsync(string runId, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return PostAsync("runs/log-parameter", new LogParamRequest(runId, key, value), WireJson.Default.LogParamRequest, cancellationToken);
    }

    /// <summary>Logs several parameters, in as few requests as the server's batch limit (100 per request) allows.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="parameters">The parameters by name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task that completes when the server has answered every request.</returns>
    public async Task LogParamsAsync(string runId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var chunk in parameters.Select(p => new KeyValue(p.Key, p.Value)).Chunk(MaxBatchParams))
        {
            await LogBatchAsync(runId, parameters: chunk, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Sets several tags, in as few requests as the server's batch limit (100 per request) allows.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="tags">The tags by key.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task that completes when the server has answered every request.</returns>
    public async Task SetTagsAsync(string runId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var chunk in tags.Select(p => new KeyValue(p.Key, p.Value)).Chunk(MaxBatchTags))
        {
            await LogBatchAsync(runId, tags: chunk, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Logs one metric value synchronously (one request). In a loop prefer <see cref="KeelRun.LogMetric"/>, which batches.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The metric name.</param>
    /// <param name="value">The value; NaN and ±infinity are allowed.</param>
    /// <param name="step">The step.</param>
    /// <param name="timestamp">When it was measured; <see langword="null"/> for now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task LogMetricAsync(
        string runId,
        string key,
        double value,
        long step = 0,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var ms = timestamp is { } t ? Mapping.ToMilliseconds(t) : NowMilliseconds();
        return PostAsync("runs/log-metric", new LogMetricRequest(runId, key, value, ms, step), WireJson.Default.LogMetricRequest, cancellationToken);
    }

    /// <summary>Logs many metric values, in requests of up to 1000 (the server's batch limit).</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="metrics">The values.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task that completes when the server has answered every request.</returns>
    public async Task LogMetricsAsync(string runId, IEnumerable<Metric> metrics, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var chunk in metrics.Chunk(MaxBatchMetrics))
        {
            await LogBatchAsync(runId, metrics: chunk, cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// Logs metrics, parameters and tags in one request (<c>runs/log-batch</c>). The server accepts
    /// at most 1000 metrics, 100 parameters and 100 tags per request and applies parameters, then
    /// metrics, then tags, not atomically.
    /// </summary>
    /// <param name="runId">The run id.</param>
    /// <param name="metrics">Metric values, if any.</param>
    /// <param name="parameters">Parameters, if any.</param>
    /// <param name="tags">Tags, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the server has answered.</returns>
    public Task LogBatchAsync(
        string runId,
        IEnumerable<Metric>? metrics = null,
        IEnumerable<KeyValue>? parameters = null,
        IEnumerable<KeyValue>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var metricDtos = metrics?.Select(Mapping.ToDto).ToList();
        return LogBatchCoreAsync(
            runId, metricDtos is { Count: > 0 } ? metricDtos : null, Mapping.ToDtos(parameters), Mapping.ToDtos(tags), cancellationToken);
    }

    internal Task LogBatchCoreAsync(
        string runId, List<MetricDto>? metrics, List<KeyValueDto>? parameters, List<KeyValueDto>? tags, CancellationToken cancellationToken) =>
        PostAsync("runs/log-batch", new LogBatchRequest(runId, metrics, parameters, tags), WireJson.Default.LogBatchRequest, cancellationToken);

    /// <summary>Gets one page of a metric's history, ordered by timestamp, step and value.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The metric name.</param>
    /// <param name="maxResults">The page size; <see langword="null"/> lets the server decide (it may return everything).</param>
    /// <param name="pageToken">The token of the page to fetch; <see langword="null"/> for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public async Task<Page<Metric>> GetMetricHistoryPageAsync(
        string runId,
        string key,
        int? maxResults = null,
        string? pageToken = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var query = Query(
            ("run_id", runId),
            ("metric_key", key),
            ("max_results", maxResults?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("page_token", NullIfEmpty(pageToken)));
        var response = await GetAsync("metrics/get-history", query, WireJson.Default.MetricHistoryResponse, cancellationToken);
        var items = (response.Metrics ?? []).Select(Mapping.ToMetric).ToList();
        return new Page<Metric>(items, NullIfEmpty(response.NextPageToken));
    }

    /// <summary>Enumerates a metric's whole history, following page tokens.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The metric name.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The values ordered by timestamp, step and value.</returns>
    public async IAsyncEnumerable<Metric> EnumerateMetricHistoryAsync(
        string runId, string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await GetMetricHistoryPageAsync(runId, key, MetricHistoryPageSize, token, cancellationToken);
            foreach (var metric in page.Items)
            {
                yield return metric;
            }

            token = page.NextPageToken;
        }
        while (token is not null);
    }

    /// <summary>Gets a metric's whole history, following page tokens.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="key">The metric name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The values ordered by timestamp, step and value.</returns>
    public async Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        var result = new List<Metric>();
        await foreach (var metric in EnumerateMetricHistoryAsync(runId, key, cancellationToken))
        {
            result.Add(metric);
        }

        return result;
    }
}
