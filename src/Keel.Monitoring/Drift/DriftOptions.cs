using System.Text.Json.Serialization;

namespace Keel.Monitoring.Drift;

/// <summary>
/// The drift tests: <c>ks</c> (two-sample Kolmogorov–Smirnov p-value, numbers), <c>chi_square</c>
/// (p-value, categories), <c>z</c> (two-proportion Z-test p-value, categories: the first category
/// in sort order against the rest), <c>wasserstein</c> (normed Wasserstein distance, numbers),
/// <c>jensen_shannon</c> (distance) and <c>psi</c> (both kinds). A p-value test finds drift when
/// p &lt; threshold; a distance when the statistic ≥ threshold.
/// </summary>
public static class DriftMethods
{
    public const string KolmogorovSmirnov = "ks";
    public const string ChiSquare = "chi_square";
    public const string ZTest = "z";
    public const string Wasserstein = "wasserstein";
    public const string JensenShannon = "jensen_shannon";
    public const string Psi = "psi";

    public static IReadOnlyList<string> All { get; } = [KolmogorovSmirnov, ChiSquare, ZTest, Wasserstein, JensenShannon, Psi];

    public static bool IsPValue(string method) => method is KolmogorovSmirnov or ChiSquare or ZTest;

    /// <summary>Evidently's defaults: 0.05 for the p-value tests, 0.1 for the distances.</summary>
    public static double DefaultThreshold(string method) => IsPValue(method) ? 0.05 : 0.1;

    public static bool Fits(string method, bool numerical) => method switch
    {
        KolmogorovSmirnov or Wasserstein => numerical,
        ChiSquare or ZTest => !numerical,
        JensenShannon or Psi => true,
        _ => false,
    };
}

/// <summary>
/// How drift is decided. By default (Evidently's documented choice) a reference of at most
/// <see cref="SmallSampleRows"/> rows is tested with <c>ks</c> (numbers) and <c>chi_square</c>
/// (categories, and numbers with at most <see cref="CategoricalDistinctLimit"/> distinct values) at
/// p &lt; 0.05, <c>z</c> when both sides together hold at most two values; a larger one with the normed Wasserstein distance and Jensen–Shannon at ≥ 0.1; the
/// dataset drifts when at least <see cref="DriftShare"/> of its features do. Every method and
/// threshold can be set for all numerical or categorical features or per feature.
/// </summary>
public sealed record DriftOptions
{
    public static readonly DriftOptions Default = new();

    /// <summary>The features to compare; null takes every reference column the current data also has.</summary>
    [JsonPropertyName("features")]
    public IReadOnlyList<string>? Features { get; init; }

    [JsonPropertyName("small_sample_rows")]
    public long SmallSampleRows { get; init; } = 1000;

    [JsonPropertyName("categorical_distinct_limit")]
    public int CategoricalDistinctLimit { get; init; } = 5;

    [JsonPropertyName("drift_share")]
    public double DriftShare { get; init; } = 0.5;

    [JsonPropertyName("numerical_method")]
    public string? NumericalMethod { get; init; }

    [JsonPropertyName("numerical_threshold")]
    public double? NumericalThreshold { get; init; }

    [JsonPropertyName("categorical_method")]
    public string? CategoricalMethod { get; init; }

    [JsonPropertyName("categorical_threshold")]
    public double? CategoricalThreshold { get; init; }

    [JsonPropertyName("per_feature")]
    public IReadOnlyDictionary<string, FeatureDriftOptions>? PerFeature { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first unknown method, bad threshold or share.</summary>
    public void Validate()
    {
        if (DriftShare is <= 0 or > 1 || double.IsNaN(DriftShare))
        {
            throw new ArgumentException($"drift_share must be in (0, 1], got {DriftShare}.");
        }

        Check("numerical_method", NumericalMethod, NumericalThreshold, numerical: true);
        Check("categorical_method", CategoricalMethod, CategoricalThreshold, numerical: false);
        foreach (var (feature, options) in PerFeature ?? new Dictionary<string, FeatureDriftOptions>())
        {
            Check($"per_feature.{feature}.method", options.Method, options.Threshold, numerical: null);
        }
    }

    private static void Check(string field, string? method, double? threshold, bool? numerical)
    {
        if (method is not null && (!DriftMethods.All.Contains(method, StringComparer.Ordinal)
            || (numerical is { } kind && !DriftMethods.Fits(method, kind))))
        {
            var allowed = numerical switch
            {
                true => "ks, wasserstein, jensen_shannon, psi",
                false => "chi_square, jensen_shannon, psi",
                null => string.Join(", ", DriftMethods.All),
            };
            throw new ArgumentException($"{field} must be one of {allowed}, got '{method}'.");
        }

        if (threshold is { } value && (double.IsNaN(value) || value < 0))
        {
            throw new ArgumentException($"The threshold beside {field} must be a number ≥ 0, got {value}.");
        }
    }
}

/// <summary>One feature's method and threshold, overriding the defaults.</summary>
public sealed record FeatureDriftOptions(
    [property: JsonPropertyName("method")] string? Method = null,
    [property: JsonPropertyName("threshold")] double? Threshold = null);
