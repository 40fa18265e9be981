using System.Runtime.ExceptionServices;
using Keel.Data.Profiling;
using Keel.Monitoring.Drift.Statistics;

namespace Keel.Monitoring.Drift;

/// <summary>
/// Compares current data with a reference, feature by feature (in parallel), with the statistics
/// and decision rules of <see cref="DriftOptions"/>. Prediction drift is the same comparison over
/// a model's output columns. Definitions follow the fixtures' <c>drift_expected.json</c>: PSI and
/// Jensen–Shannon over ten bins cut at the reference's deciles (numbers) or one bin per category,
/// shares clipped at 1e-4; scipy's two-sample KS and Wasserstein; chi-square against the
/// reference shares. See docs/monitoring.md for the edge cases.
/// </summary>
public static class DriftEngine
{
    public const int HistogramBins = 20;
    public const int DrawnCategories = 30;

    /// <summary>Evidently's floor on the reference deviation that normalises the Wasserstein distance (a constant reference).</summary>
    public const double MinNormalizingStd = 0.001;

    public static DriftReport Compare(DriftData reference, DriftData current, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        options ??= DriftOptions.Default;
        options.Validate();
        if (current.IsProfile)
        {
            throw new ArgumentException("The current data must hold values, not a profile.");
        }

        var names = options.Features ?? reference.Columns.Where(c => current.Columns.Contains(c, StringComparer.Ordinal)).ToList();
        foreach (var name in names.Where(n => reference[n] is null))
        {
            throw new ArgumentException($"features: '{name}' is not a column of the reference.");
        }

        var features = new FeatureDrift[names.Count];
        try
        {
            Parallel.For(0, names.Count, i => features[i] = CompareFeature(names[i], reference, current, options));
        }
        catch (AggregateException e)
        {
            // A misapplied per-feature method: the caller sees the ArgumentException that names it.
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        var drifted = features.Count(f => f.Drifted);
        var share = features.Length == 0 ? 0 : (double)drifted / features.Length;
        return new DriftReport(
            reference.RowCount,
            current.RowCount,
            options.DriftShare,
            drifted,
            features.Length,
            share,
            features.Length > 0 && share >= options.DriftShare,
            features);
    }

    private static FeatureDrift CompareFeature(string name, DriftData referenceData, DriftData currentData, DriftOptions options)
    {
        var reference = referenceData[name]!;
        var current = currentData[name];
        if (current is null)
        {
            var kind = reference is CategoricalSample ? "categorical" : "numerical";
            var method = ChooseMethod(name, kind == "numerical", twoValues: false, referenceData.RowCount, options);
            return Untested(name, kind, method, reference, null, "The column is not in the current data.");
        }

        // Text where the reference has numbers: the values that read as numbers are compared, the
        // rest counted as type errors (a data-quality finding, not a reason to drop the feature).
        long? typeErrors = null;
        if (reference is NumericSample or NumericSketch && current is CategoricalSample text && ParseNumbers(text) is { } parsed)
        {
            (current, typeErrors) = parsed;
        }

        var result = CompareSides(name, reference, current, referenceData.RowCount, options);
        return typeErrors is null ? result : result with { TypeErrors = typeErrors, Note = result.Note ?? $"{typeErrors:N0} current values are not numbers; they are left out." };
    }

    /// <summary>A text column's values that parse as numbers, and how many do not; null when none does.</summary>
    private static (NumericSample Sample, long Errors)? ParseNumbers(CategoricalSample text)
    {
        var values = new List<double>();
        long errors = 0;
        foreach (var (value, count) in text.Counts)
        {
            if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number))
            {
                values.AddRange(Enumerable.Repeat(number, (int)count));
            }
            else
            {
                errors += count;
            }
        }

        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return (new NumericSample(text.Name, sorted, text.Missing + errors), errors);
    }

    private static FeatureDrift CompareSides(string name, FeatureData reference, FeatureData current, long referenceRows, DriftOptions options)
    {
        // Numbers with few distinct values are categories (Evidently's rule); so is a side given as text.
        if (reference is NumericSample r && current is NumericSample c)
        {
            var distinct = r.Distinct(options.CategoricalDistinctLimit);
            distinct.UnionWith(c.Distinct(options.CategoricalDistinctLimit));
            if (distinct.Count <= options.CategoricalDistinctLimit)
            {
                (reference, current) = (r.AsCategories(), c.AsCategories());
            }
        }
        else if (reference is NumericSketch { Profile.ValueCounts: { } counts } sketch && current is NumericSample few
            && counts.Count <= options.CategoricalDistinctLimit)
        {
            var distinct = few.Distinct(options.CategoricalDistinctLimit);
            distinct.UnionWith(counts.Select(v => double.Parse(v.Value, System.Globalization.CultureInfo.InvariantCulture)));
            if (distinct.Count <= options.CategoricalDistinctLimit)
            {
                reference = new CategoricalSample(sketch.Name, counts.ToDictionary(v => v.Value, v => v.Count, StringComparer.Ordinal), sketch.Missing, exact: true);
                current = few.AsCategories();
            }
        }
        else if (reference is CategoricalSample && current is NumericSample numbers)
        {
            current = numbers.AsCategories();
        }
        else if (reference is NumericSample numericReference && current is CategoricalSample)
        {
            reference = numericReference.AsCategories();
        }

        var numerical = reference is not CategoricalSample;
        // Evidently counts the values of both sides together: two or fewer take the Z-test.
        var twoValues = reference is CategoricalSample rc && current is CategoricalSample cc
            && rc.Counts.Keys.Union(cc.Counts.Keys, StringComparer.Ordinal).Count() <= 2;
        var chosen = ChooseMethod(name, numerical, twoValues, referenceRows, options);
        if (reference is NumericSketch && current is CategoricalSample)
        {
            return Untested(name, "numerical", chosen, reference, current, "The reference profile is numeric but the current values are text.");
        }

        if (reference.Count == 0 || current.Count == 0)
        {
            var side = reference.Count == 0 ? "reference" : "current data";
            return Untested(name, numerical ? "numerical" : "categorical", chosen, reference, current, $"The {side} holds no values of this column.");
        }

        return numerical
            ? Numerical(name, chosen, reference, (NumericSample)current)
            : Categorical(name, chosen, (CategoricalSample)reference, (CategoricalSample)current);
    }

    private static (string Method, double Threshold) ChooseMethod(string name, bool numerical, bool twoValues, long referenceRows, DriftOptions options)
    {
        if (options.PerFeature?.GetValueOrDefault(name) is { } own)
        {
            if (own.Method is { } method)
            {
                if (!DriftMethods.Fits(method, numerical))
                {
                    throw new ArgumentException(
                        $"per_feature.{name}.method: '{method}' does not apply to a {(numerical ? "numerical" : "categorical")} feature.");
                }

                return (method, own.Threshold ?? DriftMethods.DefaultThreshold(method));
            }

            if (own.Threshold is { } threshold)
            {
                return (ChooseMethod(name, numerical, twoValues, referenceRows, options with { PerFeature = null }).Method, threshold);
            }
        }

        var small = referenceRows <= options.SmallSampleRows;
        var kindMethod = numerical ? options.NumericalMethod : options.CategoricalMethod;
        var kindThreshold = numerical ? options.NumericalThreshold : options.CategoricalThreshold;
        var chosen = kindMethod ?? (numerical
            ? (small ? DriftMethods.KolmogorovSmirnov : DriftMethods.Wasserstein)
            : (small ? (twoValues ? DriftMethods.ZTest : DriftMethods.ChiSquare) : DriftMethods.JensenShannon));
        return (chosen, kindThreshold ?? DriftMethods.DefaultThreshold(chosen));
    }

    private static FeatureDrift Untested(string name, string kind, (string Method, double Threshold) chosen, FeatureData reference, FeatureData? current, string note) =>
        new(name, kind, chosen.Method, chosen.Threshold, null, false, reference.Count, current?.Count ?? 0, reference.Missing, current?.Missing ?? 0)
        {
            Note = note,
            FromProfile = reference is NumericSketch,
        };

    private static FeatureDrift Numerical(string name, (string Method, double Threshold) chosen, FeatureData reference, NumericSample current)
    {
        var values = current.Sorted;
        double ks, wasserstein, std;
        IReadOnlyList<double> edges;
        IReadOnlyList<long> referenceBins;
        long[] referenceHistogram;
        var histogramEdges = HistogramEdges(reference, values);
        if (reference is NumericSample sample)
        {
            var deciles = Distribution.DecileBins(sample.Sorted);
            (edges, referenceBins) = (deciles.Edges, deciles.Counts);
            ks = KolmogorovSmirnov.Statistic(sample.Sorted, values);
            wasserstein = Wasserstein.Exact(sample.Sorted, values);
            std = PopulationStd(sample.Sorted);
            referenceHistogram = Distribution.CountSorted(sample.Sorted, Open(histogramEdges));
        }
        else
        {
            var profile = ((NumericSketch)reference).Profile;
            (edges, referenceBins) = (profile.Deciles.Edges, profile.Deciles.Counts);
            double[] grid = [.. profile.QuantileGrid];
            ks = KolmogorovSmirnov.FromGrid(grid, values);
            wasserstein = Wasserstein.FromGrid(grid, profile.QuantileMeans?.ToArray(), values);
            var n = reference.Count;
            std = n > 1 ? profile.Std * Math.Sqrt((n - 1.0) / n) : 0;
            referenceHistogram = GridHistogram(profile.QuantileGrid, reference.Count, histogramEdges);
        }

        var currentBins = Distribution.CountSorted(values, edges);
        var (p, pMethod) = KolmogorovSmirnov.PValue(reference.Count, current.Count, ks);
        var normed = wasserstein / Math.Max(std, MinNormalizingStd);
        var psi = DivergenceMeasures.Psi(referenceBins, currentBins);
        var js = DivergenceMeasures.JensenShannon(referenceBins, currentBins);
        var statistic = chosen.Method switch
        {
            DriftMethods.KolmogorovSmirnov => p,
            DriftMethods.Wasserstein => normed,
            DriftMethods.Psi => psi,
            _ => js,
        };
        return new FeatureDrift(name, "numerical", chosen.Method, chosen.Threshold, statistic, Decide(chosen, statistic),
            reference.Count, current.Count, reference.Missing, current.Missing)
        {
            Psi = psi,
            JensenShannon = js,
            KsStatistic = ks,
            KsPValue = p,
            KsPValueMethod = pMethod,
            Wasserstein = wasserstein,
            WassersteinNormed = normed,
            FromProfile = reference is NumericSketch,
            Histogram = new DriftHistogram(histogramEdges, null, referenceHistogram, Distribution.CountSorted(values, Open(histogramEdges))),
        };
    }

    private static FeatureDrift Categorical(string name, (string Method, double Threshold) chosen, CategoricalSample reference, CategoricalSample current)
    {
        // A profile that kept only its top values binned the rest as (other): so are the current values it does not list.
        if (!reference.Exact && reference.Counts.ContainsKey(CategoricalSample.Other))
        {
            var merged = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (value, count) in current.Counts)
            {
                var key = reference.Counts.ContainsKey(value) ? value : CategoricalSample.Other;
                merged[key] = merged.GetValueOrDefault(key) + count;
            }

            current = new CategoricalSample(current.Name, merged, current.Missing, exact: true);
        }

        // Reference categories by count, then the new ones by count: one bin each.
        var categories = reference.Counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key)
            .Concat(current.Counts.Where(p => !reference.Counts.ContainsKey(p.Key)).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key))
            .ToList();
        var referenceBins = categories.Select(c => reference.Counts.GetValueOrDefault(c)).ToArray();
        var currentBins = categories.Select(c => current.Counts.GetValueOrDefault(c)).ToArray();
        var psi = DivergenceMeasures.Psi(referenceBins, currentBins);
        var js = DivergenceMeasures.JensenShannon(referenceBins, currentBins);
        var (chi, p) = ChiSquare.Test(referenceBins, currentBins);
        var z = chosen.Method == DriftMethods.ZTest ? ProportionsZTest.Test(categories, referenceBins, currentBins) : default((double Z, double P)?);
        var statistic = chosen.Method switch
        {
            DriftMethods.ChiSquare => p,
            DriftMethods.ZTest => z!.Value.P,
            DriftMethods.Psi => psi,
            _ => js,
        };
        var drawn = categories.Count <= DrawnCategories ? categories.Count : DrawnCategories - 1;
        var histogram = new DriftHistogram(
            null,
            [.. categories.Take(drawn), .. categories.Count > drawn ? [CategoricalSample.Other] : Array.Empty<string>()],
            [.. referenceBins.Take(drawn), .. categories.Count > drawn ? [referenceBins.Skip(drawn).Sum()] : Array.Empty<long>()],
            [.. currentBins.Take(drawn), .. categories.Count > drawn ? [currentBins.Skip(drawn).Sum()] : Array.Empty<long>()]);
        return new FeatureDrift(name, "categorical", chosen.Method, chosen.Threshold, statistic, Decide(chosen, statistic),
            reference.Count, current.Count, reference.Missing, current.Missing)
        {
            Psi = psi,
            JensenShannon = js,
            ChiSquareStatistic = chi,
            ChiSquarePValue = p,
            ZStatistic = z?.Z,
            NewCategories = [.. current.Counts.Keys.Where(k => !reference.Counts.ContainsKey(k) && reference.Exact).Order(StringComparer.Ordinal)],
            MissingCategories = [.. reference.Counts.Keys.Where(k => k != CategoricalSample.Other && !current.Counts.ContainsKey(k)).Order(StringComparer.Ordinal)],
            Histogram = histogram,
        };
    }

    private static bool Decide((string Method, double Threshold) chosen, double statistic) =>
        DriftMethods.IsPValue(chosen.Method) ? statistic < chosen.Threshold : statistic >= chosen.Threshold;

    /// <summary>The deviation with n in the denominator (numpy's std, as the normed Wasserstein takes it).</summary>
    private static double PopulationStd(double[] values)
    {
        double mean = 0, m2 = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var delta = values[i] - mean;
            mean += delta / (i + 1);
            m2 += delta * (values[i] - mean);
        }

        return Math.Sqrt(m2 / values.Length);
    }

    /// <summary>
    /// Equal-width bins for drawing: over the joint range, or — when outliers would squeeze the
    /// bulk into a bin or two (the joint range more than twice the 0.5 %…99.5 % one) — over the
    /// joint 0.5 %…99.5 % range, the outer bins then also holding what lies beyond them.
    /// </summary>
    private static double[] HistogramEdges(FeatureData reference, double[] current)
    {
        var (low, high, innerLow, innerHigh) = reference switch
        {
            NumericSample s => (s.Sorted[0], s.Sorted[^1], Distribution.Quantile(s.Sorted, 0.005), Distribution.Quantile(s.Sorted, 0.995)),
            NumericSketch k => (k.Profile.Min, k.Profile.Max, GridQuantile(k.Profile.QuantileGrid, 0.005), GridQuantile(k.Profile.QuantileGrid, 0.995)),
            _ => (current[0], current[^1], current[0], current[^1]),
        };
        (low, high) = (Math.Min(low, current[0]), Math.Max(high, current[^1]));
        (innerLow, innerHigh) = (Math.Min(innerLow, Distribution.Quantile(current, 0.005)), Math.Max(innerHigh, Distribution.Quantile(current, 0.995)));
        if (innerHigh > innerLow && high - low > 2 * (innerHigh - innerLow))
        {
            (low, high) = (innerLow, innerHigh);
        }

        if (low == high)
        {
            (low, high) = (low - 0.5, high + 0.5);
        }

        var edges = new double[HistogramBins + 1];
        for (var i = 0; i <= HistogramBins; i++)
        {
            edges[i] = i == HistogramBins ? high : low + ((high - low) * i / HistogramBins);
        }

        return edges;
    }

    /// <summary>The edges with open outer bins, so that counting puts every value in some bin.</summary>
    private static double[] Open(double[] edges)
    {
        var open = (double[])edges.Clone();
        (open[0], open[^1]) = (double.NegativeInfinity, double.PositiveInfinity);
        return open;
    }

    /// <summary>A quantile read off a grid of quantiles at equal steps (linear in between).</summary>
    private static double GridQuantile(IReadOnlyList<double> grid, double q)
    {
        var position = q * (grid.Count - 1);
        var below = Math.Min((int)position, grid.Count - 2);
        return grid[below] + ((grid[below + 1] - grid[below]) * (position - below));
    }

    /// <summary>The reference's counts per bin as its grid's piecewise-linear distribution spreads them (for drawing only).</summary>
    private static long[] GridHistogram(IReadOnlyList<double> grid, long count, double[] edges)
    {
        var cdf = edges.Select(e => GridShareBelow(grid, e)).ToArray();
        (cdf[0], cdf[^1]) = (0, 1); // the outer bins hold what lies beyond them
        var counts = new long[edges.Length - 1];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = (long)Math.Round((cdf[i + 1] - cdf[i]) * count);
        }

        return counts;
    }

    private static double GridShareBelow(IReadOnlyList<double> grid, double x)
    {
        if (x <= grid[0])
        {
            return 0;
        }

        if (x >= grid[^1])
        {
            return 1;
        }

        var step = 1.0 / (grid.Count - 1);
        for (var k = 1; k < grid.Count; k++)
        {
            if (grid[k] >= x)
            {
                return ((k - 1) * step) + ((x - grid[k - 1]) / (grid[k] - grid[k - 1]) * step);
            }
        }

        return 1;
    }
}
