using System.Collections.Concurrent;
using Prometheus;

namespace Keel.Server.Serving;

/// <summary>
/// Prometheus series of a serving process (`/metrics`): requests and latency per deployment, route
/// and version; inference-log and shadow queue drops. Each app has its own registry, so several
/// servers in one process (tests) do not share counts.
/// </summary>
public sealed class ServingMetrics
{
    private static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // prometheus-net's default attaches the current trace to every observation (an exemplar made per
    // request); Keel exports no traces, so there is nothing for an exemplar to point to.
    private static readonly ExemplarBehavior NoExemplars = ExemplarBehavior.NoExemplars();

    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly ConcurrentDictionary<(string, string, string), RouteSeries> _routes = new();

    public ServingMetrics(InferenceLog log, ShadowRunner shadow)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("keel_predictions_total", "Scoring requests answered, by deployment, route, model version and HTTP status class.",
            new CounterConfiguration { LabelNames = ["deployment", "route", "version", "status"], ExemplarBehavior = NoExemplars });
        _latency = factory.CreateHistogram("keel_prediction_duration_seconds", "Time to score a request (parse, predict, write), by deployment, route and model version.",
            new HistogramConfiguration { LabelNames = ["deployment", "route", "version"], Buckets = LatencyBuckets, ExemplarBehavior = NoExemplars });
        var dropped = factory.CreateCounter("keel_inference_log_dropped_total", "Inference records dropped because the log's queue was full.");
        var written = factory.CreateCounter("keel_inference_log_written_total", "Inference records written to durable storage.");
        var failed = factory.CreateCounter("keel_inference_log_failed_total", "Inference records lost after repeated failed writes.");
        var queued = factory.CreateGauge("keel_inference_log_queued", "Inference records waiting to be written.");
        var shadowDropped = factory.CreateCounter("keel_shadow_dropped_total", "Shadow copies skipped because the shadow queue was full.");
        Registry.AddBeforeCollectCallback(() =>
        {
            dropped.IncTo(log.Dropped);
            written.IncTo(log.Written);
            failed.IncTo(log.Failed);
            queued.Set(log.Queued);
            shadowDropped.IncTo(shadow.Dropped);
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Counts one answered request and its duration.</summary>
    public void Observe(string deployment, string route, string version, int status, double seconds)
    {
        // The factory takes the metrics as its argument: a lambda capturing `this` was a delegate made per request.
        var series = _routes.GetOrAdd((deployment, route, version), static (key, self) => new RouteSeries(
            self._latency.WithLabels(key.Item1, key.Item2, key.Item3),
            self._requests.WithLabels(key.Item1, key.Item2, key.Item3, "2xx"),
            self._requests.WithLabels(key.Item1, key.Item2, key.Item3, "4xx"),
            self._requests.WithLabels(key.Item1, key.Item2, key.Item3, "5xx")), this);
        series.Latency.Observe(seconds);
        (status >= 500 ? series.ServerErrors : status >= 400 ? series.ClientErrors : series.Ok).Inc();
    }

    private sealed record RouteSeries(Histogram.Child Latency, Counter.Child Ok, Counter.Child ClientErrors, Counter.Child ServerErrors);
}
