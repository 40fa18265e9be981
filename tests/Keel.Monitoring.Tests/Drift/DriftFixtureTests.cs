using System.Text.Json;
using Keel.Data.Profiling;
using Keel.Monitoring.Drift;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Monitoring.Tests.Drift;

/// <summary>The drift engine against SciPy/NumPy's figures for drift_reference.csv vs drift_current.csv (drift_expected.json).</summary>
public sealed class DriftFixtureTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public async Task Every_statistic_matches_scipy_within_the_fixture_tolerances()
    {
        var report = DriftEngine.Compare(DriftData.FromTable(await Reference()), DriftData.FromTable(await Current()));
        using var expected = Expected();
        foreach (var column in expected.RootElement.GetProperty("columns").EnumerateObject())
        {
            var feature = report[column.Name]!;
            var e = column.Value;
            Close(e, "psi", feature.Psi, column.Name);
            Close(e, "jensen_shannon", feature.JensenShannon, column.Name);
            if (e.GetProperty("type").GetString() == "numerical")
            {
                Assert.Equal("numerical", feature.Kind);
                Close(e, "ks_statistic", feature.KsStatistic, column.Name);
                Assert.Equal("exact", feature.KsPValueMethod);
                ClosePValue(e, "ks_p_value", feature.KsPValue, column.Name);
                Close(e, "wasserstein", feature.Wasserstein, column.Name);
                Close(e, "wasserstein_normed", feature.WassersteinNormed, column.Name);
            }
            else
            {
                Assert.Equal("categorical", feature.Kind);
                Close(e, "chi_square_statistic", feature.ChiSquareStatistic, column.Name);
                ClosePValue(e, "chi_square_p_value", feature.ChiSquarePValue, column.Name);
            }
        }

        Assert.Equal(["pt"], report["country"]!.NewCategories);
    }

    [Fact]
    public void The_asymptotic_ks_p_value_matches_scipy_kstwo()
    {
        using var expected = Expected();
        foreach (var column in expected.RootElement.GetProperty("columns").EnumerateObject().Where(c => c.Value.TryGetProperty("ks_statistic", out _)))
        {
            var d = column.Value.GetProperty("ks_statistic").GetDouble();
            var p = Monitoring.Drift.Statistics.KolmogorovSmirnov.Asymptotic(5000, 5000, d);
            ClosePValue(column.Value, "ks_p_value_asymp", p, column.Name);
        }
    }

    [Fact]
    public async Task Defaults_follow_evidently_wasserstein_and_jensen_shannon_above_1000_rows()
    {
        var report = DriftEngine.Compare(DriftData.FromTable(await Reference()), DriftData.FromTable(await Current()));
        Assert.Equal(DriftMethods.Wasserstein, report["amount"]!.Method);
        Assert.Equal(DriftMethods.JensenShannon, report["channel"]!.Method);
        Assert.True(report["amount"]!.Drifted);
        Assert.False(report["stable"]!.Drifted);
        Assert.Equal(report.Features.Count(f => f.Drifted), report.DriftedFeatures);
        Assert.True(report.DatasetDrift);
    }

    [Fact]
    public async Task Small_references_use_ks_and_chi_square_p_values()
    {
        var reference = await Head("drift_reference.csv", 800);
        var report = DriftEngine.Compare(DriftData.FromTable(reference), DriftData.FromTable(await Head("drift_current.csv", 800)));
        Assert.Equal(DriftMethods.KolmogorovSmirnov, report["amount"]!.Method);
        Assert.Equal(0.05, report["amount"]!.Threshold);
        Assert.Equal(DriftMethods.ChiSquare, report["country"]!.Method);
        Assert.Equal(report["amount"]!.KsPValue, report["amount"]!.Statistic);
        Assert.False(report["stable"]!.Drifted);
        Assert.True(report["country"]!.Drifted);
    }

    [Fact]
    public async Task A_profile_reference_keeps_psi_exact_and_ks_and_wasserstein_within_the_stated_bounds()
    {
        var referenceTable = await Reference();
        var profiler = new TableProfiler();
        profiler.Add(referenceTable);
        var profile = profiler.Build();
        var exact = DriftEngine.Compare(DriftData.FromTable(referenceTable), DriftData.FromTable(await Current()));
        var sketched = DriftEngine.Compare(DriftData.FromProfile(profile), DriftData.FromTable(await Current()));
        foreach (var feature in exact.Features.Where(f => f.Kind == "numerical"))
        {
            var other = sketched[feature.Name]!;
            Assert.True(other.FromProfile);
            var numeric = profile[feature.Name]!.Numeric!;
            var step = 1.0 / (numeric.QuantileGrid.Count - 1);
            Assert.Equal(feature.Psi!.Value, other.Psi!.Value, 12);
            Assert.Equal(feature.JensenShannon!.Value, other.JensenShannon!.Value, 12);
            Assert.InRange(Math.Abs(feature.KsStatistic!.Value - other.KsStatistic!.Value), 0, step + (1.0 / numeric.SampleSize));
            Assert.InRange(Math.Abs(feature.Wasserstein!.Value - other.Wasserstein!.Value), 0, (numeric.Max - numeric.Min) * step);
            Assert.Equal(feature.WassersteinNormed!.Value, other.WassersteinNormed!.Value, 1e-3 * feature.WassersteinNormed!.Value + ((numeric.Max - numeric.Min) * step / numeric.Std));
            Assert.Equal(feature.Drifted, other.Drifted);
        }

        foreach (var feature in exact.Features.Where(f => f.Kind == "categorical"))
        {
            Assert.Equal(feature.ChiSquareStatistic!.Value, sketched[feature.Name]!.ChiSquareStatistic!.Value, 9);
        }
    }

    internal static Task<Table> Reference() => TableReader.ReadAsync(RepositoryFiles.SharedFixture("drift_reference.csv"));

    internal static Task<Table> Current() => TableReader.ReadAsync(RepositoryFiles.SharedFixture("drift_current.csv"));

    /// <summary>The header and the first <paramref name="rows"/> rows of a fixture CSV.</summary>
    internal static Task<Table> Head(string fixture, int rows) =>
        TableReader.ReadCsvAsync(new StringReader(string.Join('\n', File.ReadLines(RepositoryFiles.SharedFixture(fixture)).Take(rows + 1))));

    private static JsonDocument Expected() => JsonDocument.Parse(File.ReadAllText(RepositoryFiles.SharedFixture("drift_expected.json")));

    private static void Close(JsonElement expected, string property, double? actual, string column)
    {
        var value = expected.GetProperty(property).GetDouble();
        Assert.True(actual.HasValue, $"{column}.{property} was not computed");
        Assert.True(Math.Abs(actual.Value - value) <= Tolerance * Math.Max(1, Math.Abs(value)), $"{column}.{property}: expected {value:R}, got {actual.Value:R}");
    }

    private static void ClosePValue(JsonElement expected, string property, double? actual, string column)
    {
        var value = expected.GetProperty(property).GetDouble();
        Assert.True(actual.HasValue, $"{column}.{property} was not computed");
        if (value < 1e-300)
        {
            Assert.True(actual.Value < 1e-300, $"{column}.{property}: expected {value:R}, got {actual.Value:R}");
            return;
        }

        Assert.True(Math.Abs(actual.Value - value) <= Tolerance * value, $"{column}.{property}: expected {value:R}, got {actual.Value:R} (relative {Math.Abs(actual.Value - value) / value:E2})");
    }
}
