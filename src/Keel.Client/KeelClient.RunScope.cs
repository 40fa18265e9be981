namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>
    /// Starts a run and returns a scope that ends it. Use with <c>await using</c>:
    /// <code>
    /// await using var run = await client.StartRunAsync("churn", runName: "baseline");
    /// await run.LogParamAsync("lr", "0.01");
    /// for (var step = 0; step &lt; 100; step++)
    ///     run.LogMetric("loss", Train(step), step);
    /// // DisposeAsync sends queued metrics and ends the run FINISHED.
    /// </code>
    /// The run ends <see cref="RunStatus.Failed"/> instead when <see cref="KeelRun.Fail"/> was
    /// called; see <see cref="KeelRun"/> for the rule and <see cref="ExecuteRunAsync"/> for a
    /// form that marks the run failed on an exception by itself.
    /// </summary>
    /// <param name="experiment">
    /// An experiment name or id: the name is looked up first; if no experiment has that name, a
    /// value made of digits is used as an id, anything else is created as a new experiment.
    /// </param>
    /// <param name="runName">The display name; <see langword="null"/> lets the server generate one.</param>
    /// <param name="tags">Run tags, if any. <c>mlflow.user</c> is added from <see cref="KeelClientOptions.UserName"/> unless given.</param>
    /// <param name="cancellationToken">Cancels starting the run (not the run itself).</param>
    /// <returns>The run scope.</returns>
    public async Task<KeelRun> StartRunAsync(
        string experiment,
        string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experiment);
        var experimentId = await ResolveExperimentAsync(experiment, cancellationToken);
        var allTags = new Dictionary<string, string>(tags ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(_options.UserName))
        {
            allTags.TryAdd("mlflow.user", _options.UserName);
        }

        var run = await CreateRunAsync(experimentId, runName, allTags, cancellationToken: cancellationToken);
        return new KeelRun(this, run.Info);
    }

    /// <summary>
    /// Starts a run, runs <paramref name="body"/> in it and ends the run: FINISHED when the body
    /// completes, KILLED when it is cancelled through <paramref name="cancellationToken"/>, FAILED
    /// when it throws anything else. The body's exception is rethrown unchanged.
    /// </summary>
    /// <param name="experiment">An experiment name or id, as for <see cref="StartRunAsync"/>.</param>
    /// <param name="body">The work; it receives the run scope and <paramref name="cancellationToken"/>.</param>
    /// <param name="runName">The display name; <see langword="null"/> lets the server generate one.</param>
    /// <param name="tags">Run tags, if any.</param>
    /// <param name="cancellationToken">Passed to the body; cancelling it ends the run KILLED.</param>
    /// <returns>The run's metadata as created (status RUNNING; fetch the run for its final state).</returns>
    public async Task<RunInfo> ExecuteRunAsync(
        string experiment,
        Func<KeelRun, CancellationToken, Task> body,
        string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using var run = await StartRunAsync(experiment, runName, tags, cancellationToken);
        try
        {
            await body(run, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            run.MarkEndStatus(RunStatus.Killed);
            throw;
        }
        catch
        {
            run.Fail();
            throw;
        }

        return run.Info;
    }

    private async Task<string> ResolveExperimentAsync(string experiment, CancellationToken cancellationToken)
    {
        var byName = await GetExperimentByNameAsync(experiment, cancellationToken);
        if (byName is not null)
        {
            return byName.ExperimentId;
        }

        // Experiment ids are decimal numbers rendered as strings (reference §1.6).
        if (experiment.All(char.IsAsciiDigit))
        {
            return experiment;
        }

        return await GetOrCreateExperimentAsync(experiment, cancellationToken);
    }
}
