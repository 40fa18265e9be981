using Keel.Monitoring.Drift.Statistics;

namespace Keel.Monitoring.Tests.Drift;

/// <summary>
/// The bound docs/monitoring.md states for windows read as every k-th request: the sample's CDF
/// stays within √(ln(2/α) / 2n) of the whole window's (Dvoretzky–Kiefer–Wolfowitz).
/// </summary>
public sealed class SamplingBoundTests
{
    [Theory]
    [InlineData(1_000_000, 10)]
    [InlineData(3_000_000, 30)]
    public void Every_kth_request_of_a_window_keeps_the_ks_statistic_within_the_dkw_bound(int count, int every)
    {
        var random = new Random(20261206);
        var window = new double[count];
        for (var i = 0; i < count; i++)
        {
            // A mixture with a heavy tail, in arrival order (no sorting before the sampling).
            window[i] = random.NextDouble() < 0.8
                ? Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())
                : Math.Exp(3 * random.NextDouble());
        }

        var sample = window.Where((_, i) => i % every == 0).ToArray();
        Array.Sort(sample);
        Array.Sort(window);
        var bound = Math.Sqrt(Math.Log(2 / 0.01) / (2.0 * sample.Length));
        var distance = KolmogorovSmirnov.Statistic(sample, window);
        Assert.True(distance <= bound, $"KS between the sample and the window is {distance:F5}, above the stated bound {bound:F5}");
    }
}
