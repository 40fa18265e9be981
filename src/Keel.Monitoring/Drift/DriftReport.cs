using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Monitoring.Drift;

/// <summary>
/// The result of comparing current data with a reference: each feature's statistics and verdict,
/// and the dataset verdict (the share of drifted features against <see cref="DriftShareThreshold"/>).
/// Statistics that cannot be computed (a side with no values) are null, never NaN.
/// </summary>
public sealed record DriftReport(
    [property: JsonPropertyName("reference_rows")] long ReferenceRows,
    [property: JsonPropertyName("current_rows")] long CurrentRows,
    [property: JsonPropertyName("drift_share_threshold")] double DriftShareThreshold,
    [property: JsonPropertyName("drifted_features")] int DriftedFeatures,
    [property: JsonPropertyName("feature_count")] int FeatureCount,
    [property: JsonPropertyName("drift_share")] double DriftShare,
    [property: JsonPropertyName("dataset_drift")] bool DatasetDrift,
    [property: JsonPropertyName("features")] IReadOnlyList<FeatureDrift> Features)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public FeatureDrift? this[string name] => Features.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, indented ? new JsonSerializerOptions(Json) { WriteIndented = true } : Json);

    public static DriftReport FromJson(string json) =>
        JsonSerializer.Deserialize<DriftReport>(json, Json) ?? throw new JsonException("A drift report is a JSON object.");
}

/// <summary>
/// One feature: <see cref="Kind"/> is <c>numerical</c> or <c>categorical</c>; <see cref="Method"/>,
/// <see cref="Threshold"/> and <see cref="Statistic"/> decide <see cref="Drifted"/>; every other
/// statistic of its kind is there too. <see cref="KsPValueMethod"/> says whether the KS p-value is
/// scipy's <c>exact</c> or <c>asymp</c> one. <see cref="Note"/> explains a feature that could not be
/// tested (no values on a side, mismatched types).
/// </summary>
public sealed record FeatureDrift(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("threshold")] double Threshold,
    [property: JsonPropertyName("statistic")] double? Statistic,
    [property: JsonPropertyName("drifted")] bool Drifted,
    [property: JsonPropertyName("reference_count")] long ReferenceCount,
    [property: JsonPropertyName("current_count")] long CurrentCount,
    [property: JsonPropertyName("reference_missing")] long ReferenceMissing,
    [property: JsonPropertyName("current_missing")] long CurrentMissing)
{
    [JsonPropertyName("psi")]
    public double? Psi { get; init; }

    [JsonPropertyName("jensen_shannon")]
    public double? JensenShannon { get; init; }

    [JsonPropertyName("ks_statistic")]
    public double? KsStatistic { get; init; }

    [JsonPropertyName("ks_p_value")]
    public double? KsPValue { get; init; }

    [JsonPropertyName("ks_p_value_method")]
    public string? KsPValueMethod { get; init; }

    [JsonPropertyName("wasserstein")]
    public double? Wasserstein { get; init; }

    [JsonPropertyName("wasserstein_normed")]
    public double? WassersteinNormed { get; init; }

    [JsonPropertyName("chi_square_statistic")]
    public double? ChiSquareStatistic { get; init; }

    [JsonPropertyName("chi_square_p_value")]
    public double? ChiSquarePValue { get; init; }

    /// <summary>The two-proportion Z statistic (share of the values other than the first category, reference minus current), when the Z-test decided.</summary>
    [JsonPropertyName("z_statistic")]
    public double? ZStatistic { get; init; }

    [JsonPropertyName("new_categories")]
    public IReadOnlyList<string>? NewCategories { get; init; }

    [JsonPropertyName("missing_categories")]
    public IReadOnlyList<string>? MissingCategories { get; init; }

    /// <summary>True when the reference was a profile, so KS and Wasserstein are read off its quantile grid (see docs/monitoring.md for the bound).</summary>
    [JsonPropertyName("from_profile")]
    public bool FromProfile { get; init; }

    [JsonPropertyName("histogram")]
    public DriftHistogram? Histogram { get; init; }

    /// <summary>Current values that are not numbers in a column the reference has as numbers (left out of the statistics, counted with the missing ones).</summary>
    [JsonPropertyName("type_errors")]
    public long? TypeErrors { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }
}

/// <summary>
/// Both sides binned alike, for drawing: 20 equal-width bins for numbers (<see cref="Edges"/>)
/// over the joint range, or over the joint 0.5 %…99.5 % range when outliers would squeeze the
/// rest (the first and last bins then also count the values beyond them); one bin per category
/// for categories (<see cref="Categories"/>, most frequent in the reference first, at most 30 and
/// the rest as <c>(other)</c>).
/// </summary>
public sealed record DriftHistogram(
    [property: JsonPropertyName("edges")] IReadOnlyList<double>? Edges,
    [property: JsonPropertyName("categories")] IReadOnlyList<string>? Categories,
    [property: JsonPropertyName("reference")] IReadOnlyList<long> Reference,
    [property: JsonPropertyName("current")] IReadOnlyList<long> Current);
