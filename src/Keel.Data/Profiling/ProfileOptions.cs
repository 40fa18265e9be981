namespace Keel.Data.Profiling;

/// <summary>How much a profile keeps.</summary>
public sealed class ProfileOptions
{
    public static readonly ProfileOptions Default = new();

    /// <summary>
    /// Values of a numeric column kept for exact quantiles (8 bytes each); beyond it a uniform random
    /// sample of this size (reservoir sampling, fixed seed) stands in for them.
    /// </summary>
    public int MaxNumericValues { get; init; } = 2_000_000;

    /// <summary>Distinct values of a string column counted exactly; beyond it counts are Misra–Gries estimates.</summary>
    public int MaxTrackedValues { get; init; } = 100_000;

    /// <summary>Categories listed in full when a column has at most this many.</summary>
    public int MaxCategories { get; init; } = 1_000;

    public int TopValues { get; init; } = 20;

    public int HistogramBins { get; init; } = 20;

    /// <summary>Points of the quantile grid (0 %, …, 100 %) that drift tests read as the distribution.</summary>
    public int QuantileGridPoints { get; init; } = 201;
}
