using System.Globalization;
using Keel.Core.Inference;

namespace Keel.Core.Deployments;

/// <summary>Requests, server errors and p99 latency of one side of a comparison.</summary>
public sealed record RouteFigures(long Requests, long Errors, double P99Ms)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    /// <summary>Figures of live records: errors are server errors (5xx); a client's bad input is not the model's fault.</summary>
    public static RouteFigures Of(IEnumerable<InferenceRecord> records)
    {
        var latencies = new List<double>();
        long errors = 0;
        foreach (var record in records)
        {
            latencies.Add(record.LatencyMs);
            errors += record.Status >= 500 ? 1 : 0;
        }

        return new RouteFigures(latencies.Count, errors, Percentile(latencies, 0.99));
    }

    /// <summary>Nearest-rank percentile; 0 for no values.</summary>
    public static double Percentile(List<double> values, double quantile)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        var rank = (int)Math.Ceiling(quantile * values.Count);
        return values[Math.Clamp(rank - 1, 0, values.Count - 1)];
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} requests, error rate {ErrorRate:0.####}, p99 {P99Ms:0.###} ms");
}

public enum GateOutcome
{
    /// <summary>The step is still held (time or requests) or has too few requests to judge.</summary>
    Wait,
    Pass,
    Fail,
}

public sealed record GateDecision(GateOutcome Outcome, string Message, RouteFigures Candidate, RouteFigures Current);

/// <summary>
/// Judges a rollout step from the inference log: once the step has been held for its time and
/// request count and the new model has answered at least `min_requests`, the new model passes when
/// its error rate exceeds the current one's by at most `max_error_rate_increase` and its p99
/// latency is at most `max_p99_ratio` times the current one's (or 1 ms, whichever is larger, so
/// sub-millisecond noise does not fail a step).
/// </summary>
public static class RolloutGate
{
    public const double P99FloorMs = 1.0;

    /// <param name="live">Live records of the deployment since the step began (any order).</param>
    /// <param name="sampleRate">The share of requests logged: counts are scaled back by it.</param>
    public static GateDecision Judge(RolloutState state, IReadOnlyList<InferenceRecord> live, double sampleRate, long now)
    {
        var step = state.Spec.Steps[state.Step];
        var candidate = RouteFigures.Of(live.Where(r => r.Route == RolloutState.CandidateRoute));
        var current = RouteFigures.Of(live.Where(r => r.Route != RolloutState.CandidateRoute));
        var gates = state.Spec.Gates;
        var scale = sampleRate > 0 ? 1 / sampleRate : 1;
        var heldFor = (now - state.StepStartedTime) / 1000.0;
        if (step.HoldSeconds is { } seconds && heldFor < seconds)
        {
            return new GateDecision(GateOutcome.Wait, Format($"step {state.Step + 1} held {heldFor:0.#} of {seconds:0.#} s"), candidate, current);
        }

        if (step.HoldRequests is { } requests && candidate.Requests * scale < requests)
        {
            return new GateDecision(GateOutcome.Wait, Format($"step {state.Step + 1} has {candidate.Requests * scale:0} of {requests} requests"), candidate, current);
        }

        if (candidate.Requests * scale < gates.MinRequests)
        {
            return new GateDecision(GateOutcome.Wait, Format($"the new model has answered {candidate.Requests * scale:0} of the {gates.MinRequests} requests a gate needs"), candidate, current);
        }

        var errorIncrease = candidate.ErrorRate - current.ErrorRate;
        if (errorIncrease > gates.MaxErrorRateIncrease)
        {
            return new GateDecision(GateOutcome.Fail, Format(
                $"error rate {candidate.ErrorRate:0.####} against {current.ErrorRate:0.####} (+{errorIncrease:0.####} > {gates.MaxErrorRateIncrease:0.####} allowed)"), candidate, current);
        }

        var allowed = gates.MaxP99Ratio * Math.Max(current.P99Ms, P99FloorMs);
        if (current.Requests > 0 && candidate.P99Ms > allowed)
        {
            return new GateDecision(GateOutcome.Fail, Format(
                $"p99 {candidate.P99Ms:0.###} ms against {current.P99Ms:0.###} ms (> {gates.MaxP99Ratio:0.##}× allowed, {allowed:0.###} ms)"), candidate, current);
        }

        return new GateDecision(GateOutcome.Pass, Format(
            $"new: {candidate}; current: {current}"), candidate, current);
    }

    /// <summary>The routes of a step: the baseline routes scaled to share 100 − w, the new model at w.</summary>
    public static IReadOnlyList<RouteSpec> StepRoutes(IReadOnlyList<RouteSpec> baseline, string candidateUri, double weight)
    {
        if (weight >= 100)
        {
            return [new RouteSpec(RolloutState.CandidateRoute, candidateUri, 100)];
        }

        var total = baseline.Sum(r => r.Weight);
        var routes = baseline.Select(r => r with { Weight = total > 0 ? r.Weight * (100 - weight) / total : 0 }).ToList();
        routes.Add(new RouteSpec(RolloutState.CandidateRoute, candidateUri, weight));
        return routes;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
