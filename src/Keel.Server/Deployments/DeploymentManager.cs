using System.Collections.Concurrent;
using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Server.Serving;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Deployments;

/// <summary>
/// The deployments `keel server` serves. A change is applied in this order: validate, build the new
/// route table (every model resolved, loaded and warmed), store the revision (compare-and-set on
/// the revision number), then swap the table in. A model that cannot load fails the change with a
/// clear error before anything is stored, and the deployment keeps serving what it served.
/// </summary>
public sealed partial class DeploymentManager : IDeploymentDirectory, IDisposable
{
    private readonly IDeploymentStore _store;
    private readonly IInferenceLogStore _log;
    private readonly IModelSource _source;
    private readonly TimeProvider _clock;
    private readonly ILogger<DeploymentManager> _logger;
    private readonly ConcurrentDictionary<string, DeploymentRuntime> _runtimes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly ConcurrentDictionary<string, (long Revision, long Time)> _loadFailures = new(StringComparer.Ordinal);

    internal DeploymentManager(IDeploymentStore store, IInferenceLogStore log, IModelSource source, TimeProvider clock, ILogger<DeploymentManager> logger)
    {
        _store = store;
        _log = log;
        _source = source;
        _clock = clock;
        _logger = logger;
    }

    public DeploymentRuntime? Default => null;

    public IDeploymentStore Store => _store;

    public IInferenceLogStore InferenceLog => _log;

    public DeploymentRuntime? Find(string name) => _runtimes.GetValueOrDefault(name);

    public async Task<Deployment> CreateAsync(string? name, string? description, DeploymentSpec spec, string? message, string? user, CancellationToken ct)
    {
        DeploymentValidator.Name(name);
        DeploymentValidator.Description(description);
        DeploymentValidator.Spec(spec);
        await _changes.WaitAsync(ct);
        try
        {
            if (await _store.GetAsync(name!, ct) is not null)
            {
                throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Deployment '{name}' already exists.");
            }

            var table = await DeploymentRuntime.BuildAsync(name!, 1, spec, _source, null, ct);
            try
            {
                var now = Now;
                var deployment = new Deployment(name!, description, 1, spec, null, now, now);
                await _store.CreateAsync(deployment, Revision(deployment, "create", message, user, table), ct);
                _runtimes[name!] = new DeploymentRuntime(table);
                return deployment;
            }
            catch
            {
                table.Dispose();
                throw;
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Changes a deployment: a new spec (null keeps the routes), a description, or a progressive
    /// rollout of another model over the current routes. An update during a rollout ends it (aborted).
    /// </summary>
    public async Task<Deployment> UpdateAsync(
        string? name, string? description, DeploymentSpec? spec, RolloutSpec? rollout, string? message, string? user, CancellationToken ct)
    {
        DeploymentValidator.Name(name);
        DeploymentValidator.Description(description);
        if (spec is not null)
        {
            DeploymentValidator.Spec(spec);
        }

        await _changes.WaitAsync(ct);
        try
        {
            var current = await GetAsync(name!, ct);
            var next = spec ?? current.Spec;
            RolloutState? state = null;
            var kind = "update";
            if (rollout is not null)
            {
                DeploymentValidator.Rollout(rollout);
                if (next.Routes.Any(r => r.Name == RolloutState.CandidateRoute))
                {
                    throw KeelException.Invalid($"A route is named '{RolloutState.CandidateRoute}', the name a rollout gives the new model: rename it first.");
                }

                if (next.InferenceLog.SampleRate <= 0)
                {
                    throw KeelException.Invalid("A rollout's gates read the inference log: 'inference_log.sample_rate' must be above 0.");
                }

                state = new RolloutState(rollout, next.Routes, 0, Now, RolloutState.Running);
                next = next with { Routes = RolloutGate.StepRoutes(next.Routes, rollout.ModelUri, rollout.Steps[0].Weight) };
                kind = "rollout_start";
                message ??= $"Rollout of {rollout.ModelUri} begins at {rollout.Steps[0].Weight}%.";
                if (rollout.Steps[0].Weight >= 100)
                {
                    next = next with { Routes = [new RouteSpec("primary", rollout.ModelUri, 100)] };
                    state = state with { Status = RolloutState.Succeeded };
                }
            }
            else if (current.Rollout is { Status: RolloutState.Running })
            {
                state = current.Rollout with { Status = RolloutState.Aborted };
            }

            return await ApplyAsync(current, description ?? current.Description, next, state, kind, message, user, ct);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Applies an earlier revision's spec again, as a new revision; a running rollout ends.</summary>
    public async Task<Deployment> RollbackAsync(string? name, long? revision, string? message, string? user, CancellationToken ct)
    {
        DeploymentValidator.Name(name);
        await _changes.WaitAsync(ct);
        try
        {
            var current = await GetAsync(name!, ct);
            var target = revision ?? current.Revision - 1;
            if (target < 1 || target >= current.Revision + 1)
            {
                throw KeelException.Invalid($"Invalid value {target} for 'revision': deployment '{name}' has revisions 1 to {current.Revision}.");
            }

            var old = await _store.GetRevisionAsync(name!, target, ct)
                ?? throw KeelException.NotFound($"Deployment '{name}' has no revision {target}.");
            var state = current.Rollout is { Status: RolloutState.Running } ? current.Rollout with { Status = RolloutState.Aborted } : current.Rollout;
            return await ApplyAsync(current, current.Description, old.Spec, state, "rollback", message ?? $"Rollback to revision {target}.", user, ct);
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task DeleteAsync(string? name, CancellationToken ct)
    {
        DeploymentValidator.Name(name);
        await _changes.WaitAsync(ct);
        try
        {
            if (!await _store.DeleteAsync(name!, ct))
            {
                throw NotFound(name!);
            }

            if (_runtimes.TryRemove(name!, out var runtime))
            {
                runtime.Dispose();
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task<Deployment> GetAsync(string name, CancellationToken ct) =>
        await _store.GetAsync(name, ct) ?? throw NotFound(name);

    /// <summary>The shadow verdict over the newest <paramref name="limit"/> shadow records (since a time, when given).</summary>
    public async Task<ShadowVerdict> ShadowVerdictAsync(string name, long? since, int limit, CancellationToken ct)
    {
        _ = await GetAsync(name, ct);
        var shadow = await _log.QueryAsync(new InferenceQuery(name, Since: since, Shadow: true, Limit: limit), ct);
        if (shadow.Count == 0)
        {
            return ShadowVerdict.Compute(name, [], []);
        }

        var from = shadow.Min(r => r.Time);
        var live = await _log.QueryAsync(new InferenceQuery(name, Since: from, Shadow: false, Limit: limit * 4), ct);
        return ShadowVerdict.Compute(name, live, shadow);
    }

    /// <summary>Loads every stored deployment; one that cannot load is logged and recorded, and the others serve.</summary>
    public async Task LoadAllAsync(CancellationToken ct)
    {
        foreach (var deployment in await _store.ListAsync(ct))
        {
            await LoadAsync(deployment, ct);
        }
    }

    public void Dispose()
    {
        foreach (var runtime in _runtimes.Values)
        {
            runtime.Dispose();
        }

        _runtimes.Clear();
        _changes.Dispose();
    }

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task LoadAsync(Deployment deployment, CancellationToken ct)
    {
        // A revision that failed to load is tried again a minute later, not on every tick.
        if (_loadFailures.TryGetValue(deployment.Name, out var failed) && failed.Revision == deployment.Revision && Now - failed.Time < 60_000)
        {
            return;
        }

        try
        {
            var table = await DeploymentRuntime.BuildAsync(deployment.Name, deployment.Revision, deployment.Spec, _source, null, ct);
            if (_runtimes.TryGetValue(deployment.Name, out var runtime))
            {
                runtime.Host.Swap(table);
            }
            else
            {
                _runtimes[deployment.Name] = new DeploymentRuntime(table);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _loadFailures[deployment.Name] = (deployment.Revision, Now);
            LogLoadFailed(_logger, e, deployment.Name, deployment.Revision);
            await RecordAsync(deployment.Name, deployment.Revision, "load_failed", e.Message, ct);
        }
    }

    private async Task<Deployment> ApplyAsync(
        Deployment current, string? description, DeploymentSpec spec, RolloutState? rollout, string kind, string? message, string? user, CancellationToken ct)
    {
        var runtime = Find(current.Name);
        var revision = current.Revision + 1;
        var table = await DeploymentRuntime.BuildAsync(current.Name, revision, spec, _source, runtime?.Current, ct);
        try
        {
            var next = current with { Description = description, Revision = revision, Spec = spec, Rollout = rollout, LastUpdatedTime = Now };
            if (!await _store.UpdateAsync(next, current.Revision, Revision(next, kind, message, user, table), ct))
            {
                throw new KeelException(ErrorCode.RESOURCE_CONFLICT,
                    $"Deployment '{current.Name}' changed while this change was prepared (it is past revision {current.Revision}); read it again and retry.");
            }

            if (runtime is null)
            {
                _runtimes[current.Name] = new DeploymentRuntime(table);
            }
            else
            {
                runtime.Host.Swap(table);
            }

            return next;
        }
        catch
        {
            table.Dispose();
            throw;
        }
    }

    private DeploymentRevision Revision(Deployment deployment, string kind, string? message, string? user, RouteTable table) => new(
        deployment.Name, deployment.Revision, deployment.Spec, kind, message, user, Now,
        [.. table.Routes.Select(r => $"{r.Name}={r.Model.Name}/{r.Model.Version}"),
            .. table.Shadow is { } s ? new[] { $"shadow={s.Model.Name}/{s.Model.Version}" } : []]);

    private Task RecordAsync(string name, long revision, string kind, string message, CancellationToken ct) =>
        _store.AddEventAsync(new DeploymentEvent(name, Now, revision, kind, message), ct);

    private static KeelException NotFound(string name) => KeelException.NotFound($"Deployment '{name}' does not exist.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {Name} (revision {Revision}) cannot be loaded; it is not served.")]
    private static partial void LogLoadFailed(ILogger logger, Exception e, string name, long revision);
}
