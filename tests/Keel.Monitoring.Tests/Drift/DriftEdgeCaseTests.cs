using Keel.Monitoring.Drift;
using Keel.Monitoring.Drift.Statistics;
using Keel.Tabular;

namespace Keel.Monitoring.Tests.Drift;

/// <summary>Degenerate windows give the defined results docs/monitoring.md lists, never NaN or an exception.</summary>
public sealed class DriftEdgeCaseTests
{
    [Fact]
    public void A_window_with_no_rows_tests_nothing_and_says_why()
    {
        var reference = new Table(new DoubleColumn("x", [1, 2, 3, 4, 5, 6, 7]), new StringColumn("c", ["a", "b", "a", "a", "b", "b", "a"]));
        var current = new Table(new DoubleColumn("x", []), new StringColumn("c", []));
        var report = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current));
        Assert.All(report.Features, f =>
        {
            Assert.False(f.Drifted);
            Assert.Null(f.Statistic);
            Assert.Contains("current data holds no values", f.Note, StringComparison.Ordinal);
        });
        Assert.False(report.DatasetDrift);
        Assert.DoesNotContain("NaN", report.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_all_missing_column_is_untested_and_counts_its_missing_values()
    {
        var reference = new Table(new DoubleColumn("x", [1, 2, 3, 4, 5, 6, 7]));
        var current = new Table(new DoubleColumn("x", [double.NaN, double.NaN]));
        var feature = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current)).Features.Single();
        Assert.False(feature.Drifted);
        Assert.Equal(2, feature.CurrentMissing);
        Assert.NotNull(feature.Note);
    }

    [Fact]
    public void A_constant_column_gives_finite_statistics_with_evidently_s_deviation_floor()
    {
        double[] constant = [.. Enumerable.Repeat(3.0, 2000)];
        double[] shifted = [.. Enumerable.Repeat(3.0, 1000), .. Enumerable.Range(0, 1000).Select(i => 3.0 + (i / 100.0))];
        var same = DriftEngine.Compare(DriftData.FromTable(new Table(new DoubleColumn("x", constant))), DriftData.FromTable(new Table(new DoubleColumn("x", constant))));
        var x = same.Features.Single();
        Assert.Equal("categorical", x.Kind); // one distinct value: Evidently treats it as a category
        Assert.False(x.Drifted);
        Assert.Equal(0, x.Psi);

        // Many distinct values in the current window keep it numerical; the constant reference has std 0.
        var moved = DriftEngine.Compare(DriftData.FromTable(new Table(new DoubleColumn("x", constant))), DriftData.FromTable(new Table(new DoubleColumn("x", shifted)))).Features.Single();
        Assert.Equal("numerical", moved.Kind);
        Assert.True(double.IsFinite(moved.WassersteinNormed!.Value));
        Assert.Equal(moved.Wasserstein!.Value / DriftEngine.MinNormalizingStd, moved.WassersteinNormed!.Value, 9);
        Assert.True(moved.Drifted);
    }

    [Fact]
    public void A_category_only_in_the_current_data_is_named_and_counted_by_the_clipped_shares()
    {
        var reference = new Table(new StringColumn("c", [.. Enumerable.Repeat("a", 600), .. Enumerable.Repeat("b", 600)]));
        var current = new Table(new StringColumn("c", [.. Enumerable.Repeat("a", 500), .. Enumerable.Repeat("b", 500), .. Enumerable.Repeat("z", 200)]));
        var feature = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current)).Features.Single();
        Assert.Equal(["z"], feature.NewCategories);
        Assert.Empty(feature.MissingCategories!);
        Assert.True(double.IsFinite(feature.Psi!.Value));
        Assert.True(feature.Drifted);
        Assert.Equal(["a", "b", "z"], feature.Histogram!.Categories);
    }

    [Fact]
    public void Two_values_against_a_small_reference_take_evidently_s_z_test_three_take_chi_square()
    {
        string[] Repeat(params (string Value, int Count)[] parts) => [.. parts.SelectMany(p => Enumerable.Repeat(p.Value, p.Count))];
        var reference = new Table(
            new StringColumn("answer", Repeat(("no", 70), ("yes", 30))),
            new DoubleColumn("flag", [.. Enumerable.Range(0, 100).Select(i => i < 5 ? 1.0 : 0.0)]),
            new StringColumn("three", Repeat(("a", 40), ("b", 30), ("c", 30))));
        var current = new Table(
            new StringColumn("answer", Repeat(("no", 50), ("yes", 50))),
            new DoubleColumn("flag", [.. Enumerable.Range(0, 100).Select(i => i < 5 ? 1.0 : 0.0)]),
            new StringColumn("three", Repeat(("a", 40), ("b", 30), ("c", 30))));
        var features = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current)).Features.ToDictionary(f => f.Name);

        // Expected: scipy's 2 * (1 - norm.cdf(|z|)) for the pooled two-proportion z (Evidently's z_stat_test).
        var answer = features["answer"];
        Assert.Equal(("categorical", "z"), (answer.Kind, answer.Method));
        Assert.Equal(-2.886751345948129, answer.ZStatistic!.Value, 12);
        Assert.Equal(0.003892417122778627, answer.Statistic!.Value, 12);
        Assert.True(answer.Drifted);

        var flag = features["flag"]; // numbers with two values are categories, so the Z-test too
        Assert.Equal(("categorical", "z"), (flag.Kind, flag.Method));
        Assert.Equal(1.0, flag.Statistic!.Value, 12);
        Assert.False(flag.Drifted);
        Assert.Equal("chi_square", features["three"].Method);
        Assert.Null(features["three"].ZStatistic);

        // Unequal sizes, and the method asked for by name.
        var small = new Table(new DoubleColumn("flag", [.. Enumerable.Range(0, 200).Select(i => i < 10 ? 1.0 : 0.0)]));
        var later = new Table(new DoubleColumn("flag", [.. Enumerable.Range(0, 80).Select(i => i < 12 ? 1.0 : 0.0)]));
        var named = DriftEngine.Compare(DriftData.FromTable(small), DriftData.FromTable(later), DriftOptions.Default with { CategoricalMethod = "z" }).Features.Single();
        Assert.Equal(0.004962971145038817, named.Statistic!.Value, 12);
        Assert.Equal(-2.809427399219805, named.ZStatistic!.Value, 12);
    }

    [Fact]
    public void A_profile_keeps_the_counts_of_a_column_with_few_values_so_it_is_tested_as_categories_like_the_values()
    {
        var reference = new Table(new DoubleColumn("label", [.. Enumerable.Range(0, 3000).Select(i => (double)(i % 3))]));
        var current = new Table(new DoubleColumn("label", [.. Enumerable.Range(0, 3000).Select(i => i % 5 == 0 ? 2.0 : i % 2)]));
        var profiler = new Keel.Data.Profiling.TableProfiler();
        profiler.Add(reference);
        var profile = profiler.Build();
        Assert.Equal(["0", "1", "2"], profile["label"]!.Numeric!.ValueCounts!.Select(v => v.Value));
        var exact = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current)).Features.Single();
        var sketched = DriftEngine.Compare(DriftData.FromProfile(profile), DriftData.FromTable(current)).Features.Single();
        Assert.Equal(("categorical", "categorical"), (exact.Kind, sketched.Kind));
        Assert.Equal(exact.ChiSquareStatistic!.Value, sketched.ChiSquareStatistic!.Value, 9);
        Assert.Equal(exact.JensenShannon!.Value, sketched.JensenShannon!.Value, 12);
    }

    [Fact]
    public void Against_a_profile_that_kept_only_top_values_unlisted_current_values_join_its_other_bin()
    {
        string[] Repeat(params (string Value, int Count)[] parts) => [.. parts.SelectMany(p => Enumerable.Repeat(p.Value, p.Count))];
        var reference = new Table(new StringColumn("c", Repeat(("a", 500), ("b", 300), ("c", 100), ("d", 100))));
        var current = new Table(new StringColumn("c", Repeat(("a", 500), ("b", 300), ("e", 200))));
        var profiler = new Keel.Data.Profiling.TableProfiler(new Keel.Data.Profiling.ProfileOptions { MaxCategories = 2, TopValues = 2 });
        profiler.Add(reference);
        var feature = DriftEngine.Compare(DriftData.FromProfile(profiler.Build()), DriftData.FromTable(current)).Features.Single();
        Assert.Equal(["a", "b", "(other)"], feature.Histogram!.Categories);
        Assert.Equal([500L, 300, 200], feature.Histogram.Current);
        Assert.Equal(0, feature.Psi!.Value, 12); // e stands where c and d stood: the same shares
        Assert.Empty(feature.NewCategories!); // unknowable against a partial list
    }

    [Fact]
    public void Text_in_a_numeric_column_is_compared_by_its_numbers_and_the_rest_counted_as_type_errors()
    {
        var reference = new Table(new DoubleColumn("x", [.. Enumerable.Range(0, 2000).Select(i => i / 100.0)]));
        string?[] values = [.. Enumerable.Range(0, 2000).Select(i => i % 100 == 0 ? "n/a" : (i / 100.0).ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var current = new Table(new StringColumn("x", values));
        var report = Monitoring.Reports.ReportBuilder.Build(reference, current, "a", "b", new Monitoring.Reports.ReportOptions(), TimeProvider.System);
        var feature = report.DataDrift.Features.Single();
        Assert.Equal("numerical", feature.Kind);
        Assert.Equal(20, feature.TypeErrors);
        Assert.Equal(1980, feature.CurrentCount);
        Assert.False(feature.Drifted);
        Assert.Contains("20 current values are not numbers", feature.Note, StringComparison.Ordinal);
        var quality = report.DataQuality!.Single();
        Assert.Equal((20L, true), (quality.TypeErrors, quality.TypeMismatch));
    }

    [Fact]
    public void Methods_and_thresholds_can_be_set_per_kind_and_per_feature()
    {
        var reference = new Table(new DoubleColumn("x", [.. Enumerable.Range(0, 3000).Select(i => (double)i)]), new DoubleColumn("y", [.. Enumerable.Range(0, 3000).Select(i => (double)i)]));
        var current = new Table(new DoubleColumn("x", [.. Enumerable.Range(100, 3000).Select(i => (double)i)]), new DoubleColumn("y", [.. Enumerable.Range(100, 3000).Select(i => (double)i)]));
        var options = new DriftOptions
        {
            NumericalMethod = DriftMethods.Psi,
            PerFeature = new Dictionary<string, FeatureDriftOptions> { ["y"] = new(DriftMethods.KolmogorovSmirnov, 0.01) },
        };
        var report = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(current), options);
        Assert.Equal(DriftMethods.Psi, report["x"]!.Method);
        Assert.Equal(0.1, report["x"]!.Threshold);
        Assert.Equal(report["x"]!.Psi, report["x"]!.Statistic);
        Assert.Equal(DriftMethods.KolmogorovSmirnov, report["y"]!.Method);
        Assert.Equal(0.01, report["y"]!.Threshold);
    }

    [Fact]
    public void An_unknown_or_misapplied_method_is_refused_with_the_field_named()
    {
        var table = new Table(new StringColumn("c", ["a", "b"]));
        var unknown = Assert.Throws<ArgumentException>(() => DriftEngine.Compare(DriftData.FromTable(table), DriftData.FromTable(table), new DriftOptions { NumericalMethod = "kl" }));
        Assert.Contains("numerical_method", unknown.Message, StringComparison.Ordinal);
        var misapplied = Assert.Throws<ArgumentException>(() => DriftEngine.Compare(
            DriftData.FromTable(table),
            DriftData.FromTable(table),
            new DriftOptions { PerFeature = new Dictionary<string, FeatureDriftOptions> { ["c"] = new(DriftMethods.KolmogorovSmirnov) } }));
        Assert.Contains("per_feature.c.method", misapplied.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(300, 200)]
    [InlineData(1000, 750)]
    public void The_exact_p_value_for_unequal_sizes_agrees_with_the_asymptotic_one_near_the_middle(int n1, int n2)
    {
        foreach (var d in new[] { 0.05, 0.08, 0.12 })
        {
            var (exact, method) = KolmogorovSmirnov.PValue(n1, n2, d);
            Assert.Equal("exact", method);
            var asymptotic = KolmogorovSmirnov.Asymptotic(n1, n2, d);
            Assert.InRange(exact, asymptotic * 0.7, asymptotic * 1.3);
        }
    }

    [Fact]
    public void The_exact_p_value_for_unequal_sizes_matches_a_count_of_lattice_paths()
    {
        // n1 = 3, n2 = 2: of the C(5, 2) = 10 orderings, D = 1 for the 2 that put one sample wholly first.
        Assert.Equal(0.2, KolmogorovSmirnov.PValue(3, 2, 1.0).PValue, 12);

        // D ≥ 2/3 adds the orderings whose first or last three values are 'a a b'-free… enumerated below.
        var brute = BruteForce(3, 2, 2.0 / 3);
        Assert.Equal(brute, KolmogorovSmirnov.PValue(3, 2, 2.0 / 3).PValue, 12);
    }

    [Theory]
    [InlineData(50, 0.05)]
    [InlineData(2500, 0.03)]
    [InlineData(2500, 0.2)]
    [InlineData(500_000, 0.003)]
    [InlineData(500_000, 0.01)]
    [InlineData(20_000, 0.6)]
    public void Smirnov_stopping_past_the_peak_equals_the_full_birnbaum_tingey_sum(long n, double x)
    {
        // Every term, in log space, without stopping early.
        var last = (long)Math.Floor(n * (1 - x));
        var logs = new List<double>();
        var logBinomial = 0.0;
        for (long j = 0; j <= last; j++)
        {
            logBinomial += j > 0 ? Math.Log((double)(n - j + 1) / j) : 0;
            var rest = 1 - x - ((double)j / n);
            if (rest > 0)
            {
                logs.Add(logBinomial + ((n - j) * Math.Log(rest)) + ((j - 1) * Math.Log(x + ((double)j / n))));
            }
        }

        var largest = logs.Max();
        var full = x * Math.Exp(largest) * logs.Sum(l => Math.Exp(l - largest));
        var fast = KolmogorovSmirnov.Smirnov(n, x);
        Assert.True(Math.Abs(fast - full) <= 1e-12 * full, $"n={n} x={x}: {fast:R} vs {full:R}");
    }

    /// <summary>P(D ≥ d) by enumerating every interleaving of n1 'a's and n2 'b's.</summary>
    private static double BruteForce(int n1, int n2, double d)
    {
        var total = 0;
        var beyond = 0;
        for (var mask = 0; mask < 1 << (n1 + n2); mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n2)
            {
                continue;
            }

            total++;
            int a = 0, b = 0;
            var largest = 0.0;
            for (var bit = 0; bit < n1 + n2; bit++)
            {
                if ((mask >> bit & 1) == 1)
                {
                    b++;
                }
                else
                {
                    a++;
                }

                largest = Math.Max(largest, Math.Abs(((double)a / n1) - ((double)b / n2)));
            }

            beyond += largest >= d - 1e-12 ? 1 : 0;
        }

        return (double)beyond / total;
    }
}
