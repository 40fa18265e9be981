using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;

namespace Keel.Server.Serving;

/// <summary>A model URI resolved to the version it names now.</summary>
public sealed record ResolvedModel(string Uri, string Name, string Version)
{
    public string Key => Name + "/" + Version;
}

/// <summary>Where a serving process gets its models: the registry in `keel server`, the tracking server or a folder in `keel serve`.</summary>
public interface IModelSource
{
    /// <summary>The version <paramref name="uri"/> names now (an alias or stage resolves; a version stays).</summary>
    Task<ResolvedModel> ResolveAsync(string uri, CancellationToken ct);

    /// <summary>Loads and warms the model; a model that cannot serve (corrupt, unsupported, failing its own example) throws.</summary>
    Task<ServedModel> LoadAsync(ResolvedModel model, CancellationToken ct);
}

/// <summary>
/// One deployment being served: its current <see cref="RouteTable"/> behind a <see cref="LeaseHost{T}"/>.
/// A new table is built completely — every model resolved, loaded and warmed — before it is swapped
/// in; models the old table already holds are shared, not loaded again.
/// </summary>
public sealed class DeploymentRuntime : IDisposable
{
    private readonly SemaphoreSlim _applying = new(1, 1);

    public DeploymentRuntime(RouteTable table)
    {
        Name = table.Deployment;
        Host = new LeaseHost<RouteTable>(table);
    }

    public string Name { get; }

    public LeaseHost<RouteTable> Host { get; }

    public RouteTable Current => Host.Current;

    /// <summary>Builds a table for <paramref name="spec"/> and swaps it in; on failure the current table stays.</summary>
    public async Task<RouteTable> ApplyAsync(long revision, DeploymentSpec spec, IModelSource source, CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            var table = await BuildAsync(Name, revision, spec, source, Current, ct);
            Host.Swap(table);
            return table;
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>
    /// Re-resolves the routes (an alias or stage may have moved) and swaps in a new table when any
    /// resolves to another version; returns the new table, or null when nothing moved.
    /// </summary>
    public async Task<RouteTable?> RefreshAsync(IModelSource source, CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            var current = Current;
            var moved = false;
            foreach (var route in current.Routes.Concat(current.Shadow is null ? [] : [current.Shadow]))
            {
                var resolved = await source.ResolveAsync(route.ModelUri, ct);
                moved |= !string.Equals(resolved.Key, route.Shared.Key, StringComparison.Ordinal);
            }

            if (!moved)
            {
                return null;
            }

            var table = await BuildAsync(Name, current.Revision, current.Spec, source, current, ct);
            Host.Swap(table);
            return table;
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>Resolves and loads every model of <paramref name="spec"/>, reusing what <paramref name="current"/> holds.</summary>
    public static async Task<RouteTable> BuildAsync(
        string name, long revision, DeploymentSpec spec, IModelSource source, RouteTable? current, CancellationToken ct)
    {
        var held = new Dictionary<string, SharedModel>(StringComparer.Ordinal);
        var taken = new List<SharedModel>();
        try
        {
            async Task<ActiveRoute> RouteAsync(string routeName, string uri, double weight)
            {
                var resolved = await source.ResolveAsync(uri, ct);
                // `held` keeps one reference per model while the table is built; each route takes its own.
                if (!held.TryGetValue(resolved.Key, out var shared))
                {
                    shared = current?.Models().FirstOrDefault(m => m.Key == resolved.Key && m.TryAddReference())
                        ?? new SharedModel(await LoadAsync(source, resolved, routeName, ct));
                    held[resolved.Key] = shared;
                }

                if (!shared.TryAddReference())
                {
                    throw new InvalidOperationException("A model held by the table being built was unloaded.");
                }

                taken.Add(shared);

                return new ActiveRoute(routeName, uri, weight, shared);
            }

            var routes = new List<ActiveRoute>();
            foreach (var route in spec.Routes)
            {
                routes.Add(await RouteAsync(route.Name, route.ModelUri, route.Weight));
            }

            var shadow = spec.Shadow is { } s ? await RouteAsync("shadow", s.ModelUri, 0) : null;
            Compatible(routes, shadow);
            var table = new RouteTable(name, revision, routes, shadow, spec);
            foreach (var model in held.Values)
            {
                model.Release(); // the table holds its own references now
            }

            return table;
        }
        catch
        {
            foreach (var model in held.Values.Concat(taken))
            {
                model.Release();
            }

            throw;
        }
    }

    public void Dispose()
    {
        Host.Dispose();
        _applying.Dispose();
    }

    private static async Task<ServedModel> LoadAsync(IModelSource source, ResolvedModel resolved, string route, CancellationToken ct)
    {
        try
        {
            return await source.LoadAsync(resolved, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException and not KeelException)
        {
            throw KeelException.Invalid($"Route '{route}': model {resolved.Uri} (version {resolved.Version}) cannot be loaded: {e.Message}");
        }
        catch (KeelException e)
        {
            throw new KeelException(e.Code, $"Route '{route}': model {resolved.Uri} (version {resolved.Version}) cannot be served: {e.Message}");
        }
    }

    /// <summary>Routes of one deployment answer the same requests: their input columns must agree.</summary>
    private static void Compatible(List<ActiveRoute> routes, ActiveRoute? shadow)
    {
        var first = routes[0];
        foreach (var other in routes.Skip(1).Concat(shadow is null ? [] : [shadow]))
        {
            var a = first.Model.Predictor.Signature.Inputs?.Names.ToHashSet(StringComparer.Ordinal);
            var b = other.Model.Predictor.Signature.Inputs?.Names.ToHashSet(StringComparer.Ordinal);
            if (a is not null && b is not null && a.Count > 0 && b.Count > 0 && !a.SetEquals(b))
            {
                throw KeelException.Invalid(
                    $"Route '{other.Name}' ({other.ModelUri}) takes inputs [{string.Join(", ", b.Order(StringComparer.Ordinal))}] but route '{first.Name}' takes [{string.Join(", ", a.Order(StringComparer.Ordinal))}]: the routes of a deployment must accept the same requests.");
            }
        }
    }
}

/// <summary>Runs a freshly loaded model once on its saved input example, so the first request does not pay for it.</summary>
public static class ModelWarmUp
{
    /// <summary>
    /// How serving loads models: one ONNX Runtime thread per call. A server scores many small
    /// requests at once, so parallelism comes from requests; ONNX Runtime's default of a spinning
    /// thread per core would fight Kestrel for the same cores.
    /// </summary>
    public static ModelLoadOptions ServingLoadOptions { get; } = new() { OnnxIntraOpThreads = 1 };

    public static void Run(IPredictor predictor, string folder)
    {
        var path = Path.Combine(folder, predictor.Manifest.SavedInputExampleInfo?.ServingInputPath ?? Keel.Serving.Models.InputExampleInfo.DefaultServingInputPath);
        if (!File.Exists(path))
        {
            return;
        }

        var input = MlflowScoring.ParseJson(File.ReadAllBytes(path), predictor.Signature);
        _ = predictor.Predict(input.Table);
    }
}
