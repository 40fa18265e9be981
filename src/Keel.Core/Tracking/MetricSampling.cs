namespace Keel.Core.Tracking;

/// <summary>Step sampling for get-history-bulk-interval, as MLflow does it (reference §2.4).</summary>
public static class MetricSampling
{
    /// <param name="points">All points of the metric for the runs, in any order.</param>
    public static IReadOnlyList<MetricWithRunId> SampleByStep(
        IReadOnlyList<MetricWithRunId> points, long? startStep, long? endStep, int maxResults)
    {
        if (points.Count == 0)
        {
            return [];
        }

        var start = startStep ?? 0;
        var end = endStep ?? points.Max(p => p.Step);
        var steps = points.Select(p => p.Step).Where(s => s >= start && s <= end).Distinct().Order().ToArray();
        var chosen = new HashSet<long>();
        if (steps.Length <= maxResults)
        {
            chosen.UnionWith(steps);
        }
        else
        {
            for (var i = 0; i < maxResults; i++)
            {
                chosen.Add(steps[(int)((long)i * steps.Length / maxResults)]);
            }

            chosen.Add(steps[^1]);
        }

        // Each run's own first and last step stay visible, so every line in a chart has its ends.
        foreach (var run in points.GroupBy(p => p.RunId, StringComparer.Ordinal))
        {
            var min = run.Min(p => p.Step);
            var max = run.Max(p => p.Step);
            if (min >= start && min <= end)
            {
                chosen.Add(min);
            }

            if (max >= start && max <= end)
            {
                chosen.Add(max);
            }
        }

        return points
            .Where(p => chosen.Contains(p.Step) && p.Step >= start && p.Step <= end)
            .OrderBy(p => p.RunId, StringComparer.Ordinal)
            .ThenBy(p => p.Step)
            .ThenBy(p => p.Timestamp)
            .ThenBy(p => p.Value)
            .ToList();
    }
}
