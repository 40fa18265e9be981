using System.Globalization;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Monitoring.Tests.Quality;

/// <summary>The shared scikit-learn oracle: predictions as CSV and the expected metrics as JSON.</summary>
internal static class QualityFixtures
{
    public const double Tolerance = 1e-9;

    public static JsonElement Expected(string section)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.SharedFixture("quality_expected.json")));
        return document.RootElement.GetProperty(section).Clone();
    }

    /// <summary>Rows of a CSV with a header line, as column name → text; the fixtures hold no quoted fields.</summary>
    public static IReadOnlyList<Dictionary<string, string>> ReadCsv(string name)
    {
        var lines = File.ReadAllLines(RepositoryFiles.SharedFixture(name)).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(line =>
        {
            var fields = line.Split(',');
            Assert.Equal(header.Length, fields.Length);
            return header.Zip(fields).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }).ToList();
    }

    public static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>Within <see cref="Tolerance"/> relative, or absolute when the expected value is exactly zero.</summary>
    public static void Close(double expected, double? actual, string name)
    {
        Assert.True(actual.HasValue, $"{name}: expected {expected:R} but the metric was not computed");
        var error = Math.Abs(actual.Value - expected);
        var allowed = expected == 0 ? Tolerance : Tolerance * Math.Abs(expected);
        Assert.True(error <= allowed, $"{name}: expected {expected:R}, got {actual.Value:R} (off by {error:E3})");
    }
}
