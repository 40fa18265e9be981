using System.Globalization;
using System.Text;
using Keel.Core.Errors;
using Keel.Data.Profiling;
using Keel.Data.Profiling.Internal;
using Keel.Tabular.Chunks;
using Keel.Testing;

namespace Keel.Data.Tests.Profiling;

/// <summary>Profiles checked against values computed outside Keel (Python's statistics module: stdev is n − 1, quantiles 'inclusive' is numpy's linear).</summary>
public sealed class ProfilerTests
{
    private static Task<TableProfile> ProfileAsync(string path, ProfileOptions? options = null) =>
        TableProfiler.ProfileAsync(ct => TableChunkReader.OpenAsync(path, 1000, ct), options, CancellationToken.None);

    [Fact]
    public async Task Iris_profile_matches_the_statistics_module()
    {
        var profile = await ProfileAsync(RepositoryFiles.SharedFixture("iris.csv"));

        Assert.Equal(150, profile.RowCount);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"], profile.Columns.Select(c => c.Name));
        var sepal = profile["sepal_length"]!;
        Assert.Equal("double", sepal.Type);
        Assert.Equal(150, sepal.Count);
        Assert.Equal(0, sepal.Missing);
        Assert.Equal(35, sepal.Distinct);
        Assert.True(sepal.DistinctExact);
        var n = sepal.Numeric!;
        Assert.True(n.Exact);
        Assert.Equal(4.3, n.Min);
        Assert.Equal(7.9, n.Max);
        Assert.Equal(5.843333333333334, n.Mean, 1e-12);
        Assert.Equal(0.828066127977863, n.Std, 1e-12);
        Assert.Equal(5.1, n.Quantiles["0.25"], 1e-12);
        Assert.Equal(5.8, n.Quantiles["0.50"], 1e-12);
        Assert.Equal(6.4, n.Quantiles["0.75"], 1e-12);
        Assert.Equal([4.799999999999999, 5.0, 5.2700000000000005, 5.6, 5.8, 6.1, 6.3, 6.5200000000000005, 6.9], n.Deciles.Edges.Skip(1).Take(9).ToArray(), new Tolerance(1e-12));
        Assert.Equal([11L, 11, 23, 14, 14, 16, 10, 21, 13, 17], n.Deciles.Counts);
        Assert.Equal([4L, 5, 7, 16, 9, 5, 13, 14, 10, 6, 10, 16, 7, 11, 4, 2, 4, 1, 5, 1], n.Histogram.Counts);
        Assert.Equal(201, n.QuantileGrid.Count);
        Assert.Equal(4.3, n.QuantileGrid[0]);
        Assert.Equal(7.9, n.QuantileGrid[^1]);
        Assert.Equal("long", profile["species"]!.Type);
        Assert.Equal("[{\"name\":\"sepal_length\",\"type\":\"double\"},{\"name\":\"sepal_width\",\"type\":\"double\"},{\"name\":\"petal_length\",\"type\":\"double\"},{\"name\":\"petal_width\",\"type\":\"double\"},{\"name\":\"species\",\"type\":\"long\"}]", profile.SchemaJson());
    }

    [Fact]
    public async Task Categories_are_counted_exactly_and_the_profile_survives_its_json()
    {
        var profile = await ProfileAsync(RepositoryFiles.SharedFixture("drift_reference.csv"));
        var country = profile["country"]!;

        Assert.Equal("string", country.Type);
        Assert.Equal(4, country.Distinct);
        Assert.Equal([("de", 1947L), ("fr", 1523L), ("es", 1037L), ("it", 493L)], country.Categorical!.TopValues.Select(v => (v.Value, v.Count)));
        Assert.Equal(0.3894, country.Categorical.TopValues[0].Share, 1e-12);
        Assert.Equal(4, country.Categorical.Categories!.Count);

        var back = TableProfile.FromJson(profile.ToJson());
        Assert.Equal(profile.ToJson(), back.ToJson());
    }

    [Fact]
    public async Task A_late_value_that_breaks_the_inferred_type_widens_the_column_instead_of_failing()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("late.csv");
        var text = new StringBuilder("id,code,amount,flag\n");
        for (var i = 0; i < 5000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{i % 7},{i},{(i % 2 == 0 ? "true" : "false")}\n");
        }

        text.Append("5000,X7,2.5,true\n5001,,,\n");
        await File.WriteAllTextAsync(path, text.ToString());

        var profile = await ProfileAsync(path);

        Assert.Equal(5002, profile.RowCount);
        Assert.Equal("long", profile["id"]!.Type);
        Assert.Equal("string", profile["code"]!.Type);
        Assert.Equal(8, profile["code"]!.Distinct);
        Assert.Equal(1, profile["code"]!.Missing);
        Assert.Equal("double", profile["amount"]!.Type);
        Assert.Equal(5001, profile["amount"]!.Count);
        Assert.Equal(5001, profile["amount"]!.Distinct);
        Assert.Equal("boolean", profile["flag"]!.Type);
        Assert.Equal(2501, profile["flag"]!.Categorical!.TopValues.Single(v => v.Value == "true").Count);
    }

    [Fact]
    public async Task Top_values_of_a_column_with_more_categories_than_kept_rank_by_count_then_value()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("ties.csv");
        var text = new StringBuilder("x,c\n");
        var rows = 0;
        for (var i = 0; i < 200; i++)
        {
            // Counts 1..7 by i % 7: many ties, broken by the value (ordinal).
            for (var n = 0; n <= i % 7; n++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{rows++},v{199 - i:000}\n");
            }
        }

        await File.WriteAllTextAsync(path, text.ToString());
        var profile = await ProfileAsync(path, new ProfileOptions { MaxCategories = 10, TopValues = 5 });

        var column = profile["c"]!.Categorical!;
        Assert.Null(column.Categories);
        var expected = Enumerable.Range(0, 200).Select(i => (Value: $"v{199 - i:000}", Count: (long)(1 + (i % 7))))
            .OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal).Take(5).ToList();
        Assert.Equal(expected, column.TopValues.Select(v => (v.Value, v.Count)));
    }

    [Fact]
    public async Task Past_its_limits_a_profile_samples_and_says_so_within_the_stated_bounds()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("big.csv");
        var random = new Random(7);
        var text = new StringBuilder("x,word\n");
        const int rows = 60_000;
        for (var i = 0; i < rows; i++)
        {
            // One heavy category (a third of the rows) among many rare ones.
            var value = i % 3 == 0 ? "heavy" : "w" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{i},{value}\n");
        }

        await File.WriteAllTextAsync(path, text.ToString());
        var options = new ProfileOptions { MaxNumericValues = 5_000, MaxTrackedValues = 2_000 };

        var profile = await ProfileAsync(path, options);

        var x = profile["x"]!;
        Assert.False(x.Numeric!.Exact);
        Assert.Equal(5_000, x.Numeric.SampleSize);
        Assert.Equal(rows, x.Count);
        Assert.Equal((rows - 1) / 2.0, x.Numeric.Mean, 1e-9);
        Assert.Equal(rows - 1, x.Numeric.Max);

        // DKW at 99 %: rank error ≤ sqrt(ln(200) / (2 · 5000)) = 0.023.
        var bound = Math.Sqrt(Math.Log(2 / 0.01) / (2 * 5000.0)) * rows;
        Assert.InRange(x.Numeric.Quantiles["0.50"], (rows / 2.0) - bound, (rows / 2.0) + bound);
        Assert.False(x.DistinctExact);
        Assert.InRange(x.Distinct, rows * 0.97, rows * 1.03);

        var word = profile["word"]!;
        Assert.False(word.Categorical!.Exact);
        var heavy = word.Categorical.TopValues[0];
        Assert.Equal("heavy", heavy.Value);
        Assert.InRange(heavy.Count, (rows / 3) - word.Categorical.MaxCountError, rows / 3);
        Assert.Null(word.Categorical.Categories);
    }

    [Fact]
    public void Radix_sort_orders_as_array_sort_does()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 50_000).Select(i => (i % 5) switch
        {
            0 => -random.NextDouble() * 1e6,
            1 => random.NextDouble() * 1e-300,
            2 => i % 2 == 0 ? -0.0 : 0.0,
            3 => i % 1000 == 0 ? double.NegativeInfinity : double.PositiveInfinity,
            _ => random.Next(-100, 100),
        }).ToArray();
        var expected = values.ToArray();
        Array.Sort(expected);

        RadixSort.Sort(values);

        Assert.Equal(expected, values);
    }

    [Fact]
    public async Task Ragged_rows_and_text_that_is_not_utf8_are_errors_naming_file_line_and_column()
    {
        using var folder = new TempDirectory();
        var ragged = folder.Combine("ragged.csv");
        await File.WriteAllTextAsync(ragged, "a,b\n1,2\n3\n");
        var latin = folder.Combine("latin.csv");
        await File.WriteAllBytesAsync(latin, [.. "name,n\nok,1\n"u8, .. "caf"u8, 0xE9, .. ",2\n"u8]);

        var raggedError = await Assert.ThrowsAsync<KeelException>(() => ProfileAsync(ragged));
        var latinError = await Assert.ThrowsAsync<KeelException>(() => ProfileAsync(latin));

        Assert.Contains("ragged.csv' line 3 has 1 field but the header has 2", raggedError.Message, StringComparison.Ordinal);
        Assert.Contains("latin.csv' line 3, column 'name': byte 0xE9 at offset 3 is not valid UTF-8", latinError.Message, StringComparison.Ordinal);
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
