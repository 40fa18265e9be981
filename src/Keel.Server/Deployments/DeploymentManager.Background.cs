using Keel.Core.Deployments;
using Keel.Core.Inference;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Deployments;

public sealed partial class DeploymentManager
{
    /// <summary>How often routes re-resolve their aliases, rollouts are judged and other replicas' changes are picked up.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);

    private long _lastPurge;

    /// <summary>
    /// One pass of the background work, under the change lock: follow aliases and stages that
    /// moved, pick up revisions another server stored, judge running rollouts, purge old records.
    /// </summary>
    public async Task TickAsync(CancellationToken ct)
    {
        await _changes.WaitAsync(ct);
        try
        {
            var stored = (await _store.ListAsync(ct)).ToDictionary(d => d.Name, StringComparer.Ordinal);
            foreach (var name in _runtimes.Keys.Where(n => !stored.ContainsKey(n)).ToList())
            {
                if (_runtimes.TryRemove(name, out var gone))
                {
                    gone.Dispose();
                }
            }

            foreach (var deployment in stored.Values)
            {
                await TickAsync(deployment, ct);
            }

            if (Now - _lastPurge > 3_600_000)
            {
                _lastPurge = Now;
                foreach (var deployment in stored.Values)
                {
                    await _log.PurgeAsync(deployment.Name, Now - (deployment.Spec.InferenceLog.RetentionDays * 86_400_000L), ct);
                }

                // Records of deployments that no longer exist (or never did here: `keel serve --model`
                // uploads) have no retention of their own: they are kept as long as the default.
                foreach (var orphan in (await _log.ListDeploymentsAsync(ct)).Where(n => !stored.ContainsKey(n)))
                {
                    await _log.PurgeAsync(orphan, Now - (InferenceLogSpec.Default.RetentionDays * 86_400_000L), ct);
                }
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task TickAsync(Deployment deployment, CancellationToken ct)
    {
        try
        {
            var runtime = Find(deployment.Name);
            if (runtime is null || runtime.Current.Revision != deployment.Revision)
            {
                await LoadAsync(deployment, ct);
                return;
            }

            if (await runtime.RefreshAsync(_source, ct) is { } moved)
            {
                await RecordAsync(deployment.Name, deployment.Revision, "followed",
                    "Routes now serve " + string.Join(", ", moved.Routes.Select(r => $"{r.Name}={r.Model.Name}/{r.Model.Version} ({r.ModelUri})")) + ".", ct);
            }

            if (deployment.Rollout is { Status: RolloutState.Running } rollout)
            {
                await JudgeAsync(deployment, rollout, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTickFailed(_logger, e, deployment.Name);
            await RecordAsync(deployment.Name, deployment.Revision, "error", e.Message, ct);
        }
    }

    private async Task JudgeAsync(Deployment deployment, RolloutState rollout, CancellationToken ct)
    {
        var live = await _log.QueryAsync(new InferenceQuery(deployment.Name, Since: rollout.StepStartedTime, Shadow: false, Limit: 200_000, Payloads: false), ct);
        var decision = RolloutGate.Judge(rollout, live, deployment.Spec.InferenceLog.SampleRate, Now);
        if (decision.Outcome == GateOutcome.Wait)
        {
            return;
        }

        var step = rollout.Step + 1;
        if (decision.Outcome == GateOutcome.Fail)
        {
            await RecordAsync(deployment.Name, deployment.Revision, "gate_failed", $"Step {step} ({rollout.Spec.Steps[rollout.Step].Weight}%): {decision.Message}.", ct);
            await ApplyAsync(deployment, deployment.Description, deployment.Spec with { Routes = rollout.Baseline },
                rollout with { Status = RolloutState.RolledBack }, "auto_rollback",
                $"Rollout of {rollout.Spec.ModelUri} rolled back at step {step}: {decision.Message}.", "keel", ct);
            return;
        }

        await RecordAsync(deployment.Name, deployment.Revision, "gate_passed", $"Step {step} ({rollout.Spec.Steps[rollout.Step].Weight}%): {decision.Message}.", ct);
        var nextWeight = rollout.Spec.Steps[rollout.Step + 1].Weight;
        if (nextWeight >= 100)
        {
            await ApplyAsync(deployment, deployment.Description, deployment.Spec with { Routes = [new RouteSpec("primary", rollout.Spec.ModelUri, 100)] },
                rollout with { Step = rollout.Step + 1, StepStartedTime = Now, Status = RolloutState.Succeeded }, "rollout_done",
                $"Rollout of {rollout.Spec.ModelUri} done: it takes all the traffic.", "keel", ct);
            return;
        }

        await ApplyAsync(deployment, deployment.Description,
            deployment.Spec with { Routes = RolloutGate.StepRoutes(rollout.Baseline, rollout.Spec.ModelUri, nextWeight) },
            rollout with { Step = rollout.Step + 1, StepStartedTime = Now }, "rollout_step",
            $"Rollout of {rollout.Spec.ModelUri}: step {step + 1}, {nextWeight}%.", "keel", ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background work on deployment {Name} failed; it keeps serving what it served.")]
    private static partial void LogTickFailed(ILogger logger, Exception e, string name);

    /// <summary>Loads the deployments when the server starts, then ticks the manager.</summary>
    internal sealed class Worker(DeploymentManager manager) : BackgroundService
    {
        public override async Task StartAsync(CancellationToken cancellationToken)
        {
            await manager.LoadAllAsync(cancellationToken);
            await base.StartAsync(cancellationToken);
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(manager.TickInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await manager.TickAsync(stoppingToken);
            }
        }
    }
}
