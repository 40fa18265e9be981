using Keel.Core.Tracking;

namespace Keel.Core.Search;

/// <summary>What a filter clause or an order-by key refers to (reference §5).</summary>
public enum EntityKind
{
    Attribute,
    Metric,
    Param,
    Tag,
    Dataset,
}

public enum Comparator
{
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Like,
    ILike,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

/// <summary>
/// One clause of a filter. <see cref="Value"/> is a <see cref="string"/> for quoted values,
/// a <see cref="double"/> for numbers, an <see cref="IReadOnlyList{T}"/> of strings for IN lists,
/// and null for IS [NOT] NULL. Attribute keys are canonical (run_name, start_time, …).
/// </summary>
public sealed record Comparison(EntityKind Kind, string Key, Comparator Op, object? Value);

/// <summary>One order-by key; attribute keys canonical as in <see cref="Comparison"/>.</summary>
public sealed record OrderBy(EntityKind Kind, string Key, bool Ascending);

/// <summary>A parsed, validated runs/search request.</summary>
public sealed record RunQuery(
    IReadOnlyList<long> ExperimentIds,
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderBy> OrderBy,
    ViewType ViewType,
    int MaxResults,
    string? PageToken);

/// <summary>A parsed, validated experiments/search request.</summary>
public sealed record ExperimentQuery(
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderBy> OrderBy,
    ViewType ViewType,
    int MaxResults,
    string? PageToken);

/// <summary>A parsed, validated registered-models/search or model-versions/search request.</summary>
public sealed record RegistryQuery(
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderBy> OrderBy,
    int MaxResults,
    string? PageToken);
