namespace Keel.Data.Profiling;

/// <summary>
/// Quantiles and bins over sorted values, computed as numpy computes them, shared by profiles,
/// validation and drift so that a reference and a current sample are binned the same way.
/// </summary>
public static class Distribution
{
    /// <summary>numpy's default ("linear") quantile of sorted values: interpolation between the order statistics around q·(n − 1).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        if (below >= sorted.Length - 1)
        {
            return sorted[^1];
        }

        var t = position - below;
        double a = sorted[below], b = sorted[below + 1], difference = b - a;

        // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
        return t >= 0.5 ? b - (difference * (1 - t)) : a + (difference * t);
    }

    /// <summary>
    /// numpy's <c>histogram(values, bins, range=(min, max))</c>: equal-width bins, each closed on the
    /// left, the last closed on both sides; when min = max the range is widened by 0.5 each way.
    /// </summary>
    public static Histogram EqualWidth(ReadOnlySpan<double> values, double min, double max, int bins)
    {
        var edges = EqualWidthEdges(values.IsEmpty, min, max, bins);
        return edges is null ? new Histogram([], []) : new Histogram(edges, CountInBins(values, edges));
    }

    /// <summary>Ten bins whose inner edges are the 10 %…90 % quantiles, outer bins open (edges ±∞).</summary>
    public static Histogram DecileBins(ReadOnlySpan<double> sorted)
    {
        if (sorted.IsEmpty)
        {
            return new Histogram([], []);
        }

        var edges = new double[11];
        edges[0] = double.NegativeInfinity;
        edges[10] = double.PositiveInfinity;
        for (var i = 1; i < 10; i++)
        {
            edges[i] = Quantile(sorted, i / 10.0);
        }

        return new Histogram(edges, CountSorted(sorted, edges));
    }

    /// <summary><see cref="EqualWidth"/> of sorted values, by a binary search per edge.</summary>
    public static Histogram EqualWidthSorted(ReadOnlySpan<double> sorted, double min, double max, int bins)
    {
        var edges = EqualWidthEdges(sorted.IsEmpty, min, max, bins);
        return edges is null ? new Histogram([], []) : new Histogram(edges, CountSorted(sorted, edges));
    }

    /// <summary>numpy's <c>linspace(min, max, bins + 1)</c> (min = max widened by 0.5 each way), or null when there is nothing to bin.</summary>
    private static double[]? EqualWidthEdges(bool empty, double min, double max, int bins)
    {
        if (empty || !double.IsFinite(min) || !double.IsFinite(max))
        {
            return null;
        }

        if (min == max)
        {
            min -= 0.5;
            max += 0.5;
        }

        var edges = new double[bins + 1];
        var step = (max - min) / bins;
        for (var i = 0; i < bins; i++)
        {
            edges[i] = (i * step) + min;
        }

        edges[bins] = max;
        return edges;
    }

    /// <summary><see cref="CountInBins"/> of sorted values: each bin's count is the distance between the first values at or above its edges.</summary>
    public static long[] CountSorted(ReadOnlySpan<double> sorted, IReadOnlyList<double> edges)
    {
        var counts = new long[edges.Count - 1];
        for (var i = 0; i < counts.Length; i++)
        {
            var start = FirstAtOrAbove(sorted, edges[i]);
            var end = i == counts.Length - 1 ? FirstAbove(sorted, edges[i + 1]) : FirstAtOrAbove(sorted, edges[i + 1]);
            counts[i] = Math.Max(0, end - start);
        }

        return counts;
    }

    private static int FirstAtOrAbove(ReadOnlySpan<double> sorted, double edge)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] < edge)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static int FirstAbove(ReadOnlySpan<double> sorted, double edge)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] <= edge)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>How many values fall in each bin [edges[i], edges[i + 1]) (the last bin also takes its upper edge).</summary>
    public static long[] CountInBins(ReadOnlySpan<double> values, IReadOnlyList<double> edges)
    {
        var counts = new long[edges.Count - 1];
        foreach (var value in values)
        {
            var bin = BinOf(value, edges);
            if (bin >= 0)
            {
                counts[bin]++;
            }
        }

        return counts;
    }

    /// <summary>The bin [edges[i], edges[i + 1]) holding <paramref name="value"/> (the last bin closed), or −1 outside them all.</summary>
    public static int BinOf(double value, IReadOnlyList<double> edges)
    {
        if (double.IsNaN(value) || value < edges[0] || value > edges[^1])
        {
            return -1;
        }

        // The number of edges ≤ value, less one: a binary search for the first edge > value.
        int low = 0, high = edges.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (edges[middle] <= value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return Math.Min(low - 1, edges.Count - 2);
    }
}
