using Keel.Core.Deployments;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Server.Serving;

/// <summary>
/// A model loaded once and shared by every route table that serves it (two revisions, two routes);
/// it is unloaded when the last table holding it lets go.
/// </summary>
public sealed class SharedModel
{
    private int _references = 1;

    public SharedModel(ServedModel model) => Model = model;

    public ServedModel Model { get; }

    /// <summary>`name/version`: what makes two loads the same model.</summary>
    public string Key => Model.Name + "/" + Model.Version;

    /// <summary>Another holder; false when the model was already unloaded.</summary>
    public bool TryAddReference()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Model.Dispose();
        }
    }
}

/// <summary>One route of a table: a name, its weight and the model it resolved to.</summary>
public sealed record ActiveRoute(string Name, string ModelUri, double Weight, SharedModel Shared)
{
    public ServedModel Model => Shared.Model;

    /// <summary>Set when the deployment batches requests (`batching`): requests go through it instead of straight to the model.</summary>
    public MicroBatcher? Batcher { get; init; }

    /// <summary>Scores one request, alone or in a micro-batch.</summary>
    public ValueTask<PredictionResult> PredictAsync(Table input) =>
        Batcher is { } batcher ? new(batcher.PredictAsync(input)) : new(Model.Predictor.Predict(input));
}

/// <summary>
/// What a deployment serves at one moment: routes with weights, an optional shadow, the sticky
/// header and logging settings. Immutable; a change builds a new table and swaps it in through
/// <see cref="LeaseHost{T}"/>, so a request keeps the table (and models) it started with.
/// </summary>
public sealed class RouteTable : IDisposable
{
    private readonly double[] _cumulative;

    public RouteTable(string deployment, long revision, IReadOnlyList<ActiveRoute> routes, ActiveRoute? shadow, DeploymentSpec spec)
    {
        if (routes.Count == 0)
        {
            throw new ArgumentException("A route table has at least one route.", nameof(routes));
        }

        Deployment = deployment;
        Revision = revision;
        RevisionText = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Routes = spec.Batching is { } batching
            ? [.. routes.Select(r => r with { Batcher = new MicroBatcher(r.Model.Predictor, batching) })]
            : routes;
        Shadow = shadow;
        Spec = spec;
        _cumulative = new double[routes.Count];
        var total = 0.0;
        for (var i = 0; i < routes.Count; i++)
        {
            total += routes[i].Weight;
            _cumulative[i] = total;
        }
    }

    public string Deployment { get; }

    public long Revision { get; }

    /// <summary>The revision as the `X-Keel-Revision` header writes it (made once, not per request).</summary>
    public string RevisionText { get; }

    public IReadOnlyList<ActiveRoute> Routes { get; }

    public ActiveRoute? Shadow { get; }

    public DeploymentSpec Spec { get; }

    public double ShadowShare => Spec.Shadow?.Share ?? 0;

    public string? StickyHeader => Spec.StickyHeader;

    /// <summary>
    /// The route for one request: by weight at random, or — with a sticky key — by the key's hash,
    /// so one key lands on one route for as long as the weights stay.
    /// </summary>
    public ActiveRoute Pick(string? stickyKey)
    {
        if (Routes.Count == 1)
        {
            return Routes[0];
        }

        var point = (stickyKey is { Length: > 0 } ? Unit(stickyKey) : Random.Shared.NextDouble()) * _cumulative[^1];
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (point < _cumulative[i])
            {
                return Routes[i];
            }
        }

        return Routes[^1];
    }

    /// <summary>The route serving <paramref name="version"/> of the model, for `/v2/models/{name}/versions/{version}`.</summary>
    public ActiveRoute? ByVersion(string version) =>
        Routes.FirstOrDefault(r => string.Equals(r.Model.Version, version, StringComparison.Ordinal));

    /// <summary>Every distinct model this table holds (routes and shadow).</summary>
    public IEnumerable<SharedModel> Models() =>
        Routes.Select(r => r.Shared).Concat(Shadow is null ? [] : [Shadow.Shared]).Distinct();

    public void Dispose()
    {
        foreach (var route in Routes)
        {
            route.Shared.Release();
        }

        Shadow?.Shared.Release();
    }

    /// <summary>A stable point in [0, 1) for a key (FNV-1a, the same in every process and replica).</summary>
    internal static double Unit(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        // FNV's low bits mix poorly: fold the high half in before taking 53 bits.
        hash ^= hash >> 29;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 32;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }
}
