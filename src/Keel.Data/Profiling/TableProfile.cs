using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Data.Profiling;

/// <summary>
/// The profile of one table (a tabular file of a dataset version, or a window of live traffic):
/// its row count and one <see cref="ColumnProfile"/> per column, in file order. It is what
/// validation suites are inferred from and what drift is measured against.
/// </summary>
public sealed record TableProfile(
    [property: JsonPropertyName("row_count")] long RowCount,
    [property: JsonPropertyName("columns")] IReadOnlyList<ColumnProfile> Columns)
{
    /// <summary>The JSON this profile is stored and served as (snake_case, nulls left out).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public ColumnProfile? this[string name] => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>The schema as MLflow writes a column-based signature: <c>[{"name", "type"}]</c>.</summary>
    public string SchemaJson() =>
        JsonSerializer.Serialize(Columns.Select(c => new SchemaColumn(c.Name, c.Type)).ToArray(), Json);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TableProfile FromJson(string json) =>
        JsonSerializer.Deserialize<TableProfile>(json, Json) ?? throw new JsonException("A profile is a JSON object.");

    private sealed record SchemaColumn([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("type")] string Type);
}

/// <summary>
/// One column's profile. <see cref="Type"/> is MLflow's name for it (<c>double</c>, <c>float</c>,
/// <c>long</c>, <c>integer</c>, <c>boolean</c>, <c>string</c>). <see cref="Count"/> counts the
/// present values, <see cref="Missing"/> the missing ones (an empty CSV field, JSON null, NaN).
/// <see cref="Distinct"/> is exact when <see cref="DistinctExact"/>, else a HyperLogLog estimate
/// (2^14 registers: standard error 0.81 %).
/// </summary>
public sealed record ColumnProfile(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("missing")] long Missing,
    [property: JsonPropertyName("missing_share")] double MissingShare,
    [property: JsonPropertyName("distinct")] long Distinct,
    [property: JsonPropertyName("distinct_exact")] bool DistinctExact,
    [property: JsonPropertyName("numeric")] NumericProfile? Numeric,
    [property: JsonPropertyName("categorical")] CategoricalProfile? Categorical)
{
    [JsonIgnore]
    public bool IsNumeric => Numeric is not null;
}

/// <summary>
/// The statistics of a numeric column's present values. <see cref="Std"/> is the sample standard
/// deviation (n − 1, as pandas' <c>describe</c>). Quantiles use linear interpolation between order
/// statistics (numpy's default). When <see cref="Exact"/> is false the column had more values than
/// the profiler keeps (<see cref="SampleSize"/>), and quantiles, histogram shares and deciles come
/// from a uniform random sample of that size: by the Dvoretzky–Kiefer–Wolfowitz inequality a
/// quantile's rank is then off by more than sqrt(ln(2/0.01) / (2 · sample)) (0.0016 for a million)
/// with probability under 1 %. Count, min, max, mean and std are always exact.
/// <see cref="QuantileMeans"/> holds, for each step between neighbouring grid points, the mean of
/// the values ranked in that step (the integral of the quantile function over it): what lets drift
/// measure a Wasserstein distance against the profile without the values (absent from profiles
/// stored before it existed).
/// </summary>
public sealed record NumericProfile(
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("max")] double Max,
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double Std,
    [property: JsonPropertyName("zeros")] long Zeros,
    [property: JsonPropertyName("quantiles")] IReadOnlyDictionary<string, double> Quantiles,
    [property: JsonPropertyName("histogram")] Histogram Histogram,
    [property: JsonPropertyName("deciles")] Histogram Deciles,
    [property: JsonPropertyName("quantile_grid")] IReadOnlyList<double> QuantileGrid,
    [property: JsonPropertyName("exact")] bool Exact,
    [property: JsonPropertyName("sample_size")] long SampleSize,
    [property: JsonPropertyName("quantile_means")] IReadOnlyList<double>? QuantileMeans = null)
{
    /// <summary>Columns with at most this many distinct values (counted exactly) keep every value's count.</summary>
    public const int MaxValueCounts = 20;

    /// <summary>
    /// Every distinct value with its count (value order) when the column has at most
    /// <see cref="MaxValueCounts"/> of them: integer codes and labels, which drift then tests as
    /// categories, as it does with the values themselves.
    /// </summary>
    [JsonPropertyName("value_counts")]
    public IReadOnlyList<ValueCount>? ValueCounts { get; init; }
}

/// <summary>
/// Bins: <see cref="Edges"/> has one more entry than <see cref="Counts"/>. For the histogram the
/// edges are equal-width from min to max (numpy's <c>histogram</c>: the last bin is closed); for the
/// deciles they are the 10 %…90 % quantiles with open outer bins (the first and last edges are
/// −∞ and +∞), the binning PSI and Jensen–Shannon drift use.
/// </summary>
public sealed record Histogram(
    [property: JsonPropertyName("edges")] IReadOnlyList<double> Edges,
    [property: JsonPropertyName("counts")] IReadOnlyList<long> Counts);

/// <summary>
/// A categorical (string or boolean) column's values. <see cref="TopValues"/> holds the most
/// frequent ones (most frequent first, ties by value); <see cref="Categories"/> all of them when there
/// are at most <see cref="ProfileOptions.MaxCategories"/>. When <see cref="Exact"/> is false the
/// column had more distinct values than the profiler tracks, and each count may be low by up to
/// <see cref="MaxCountError"/> (Misra–Gries).
/// </summary>
public sealed record CategoricalProfile(
    [property: JsonPropertyName("top_values")] IReadOnlyList<ValueCount> TopValues,
    [property: JsonPropertyName("categories")] IReadOnlyList<ValueCount>? Categories,
    [property: JsonPropertyName("exact")] bool Exact,
    [property: JsonPropertyName("max_count_error")] long MaxCountError,
    [property: JsonPropertyName("min_length")] int MinLength,
    [property: JsonPropertyName("max_length")] int MaxLength);

public sealed record ValueCount(
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("share")] double Share);
