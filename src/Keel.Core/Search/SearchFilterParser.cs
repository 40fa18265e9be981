using Keel.Core.Search.Internal;

namespace Keel.Core.Search;

/// <summary>
/// Parses MLflow search filters and order_by lists (reference §5) into <see cref="Comparison"/> and
/// <see cref="OrderBy"/> values with canonical keys, throwing <c>INVALID_PARAMETER_VALUE</c> on anything MLflow
/// would refuse. The grammar is shared; what each entity accepts is a table in <c>Internal/SearchSchema.cs</c>.
/// </summary>
public static class SearchFilterParser
{
    /// <summary>A runs/search filter (§5.2); null, empty or blank means no filtering.</summary>
    public static IReadOnlyList<Comparison> ParseRunFilter(string? filter) =>
        FilterParser.ParseFilter(SearchSchemas.Runs, filter);

    /// <summary>
    /// A runs/search order_by list (§5.2), as given: the store appends the start_time/run_id tie-breakers.
    /// </summary>
    public static IReadOnlyList<OrderBy> ParseRunOrderBy(IReadOnlyList<string>? orderBy) =>
        FilterParser.ParseOrderBy(SearchSchemas.Runs, orderBy);

    /// <summary>An experiments/search filter (§5.3); null, empty or blank means no filtering.</summary>
    public static IReadOnlyList<Comparison> ParseExperimentFilter(string? filter) =>
        FilterParser.ParseFilter(SearchSchemas.Experiments, filter);

    /// <summary>An experiments/search order_by list (§5.3), as given: the store appends experiment_id.</summary>
    public static IReadOnlyList<OrderBy> ParseExperimentOrderBy(IReadOnlyList<string>? orderBy) =>
        FilterParser.ParseOrderBy(SearchSchemas.Experiments, orderBy);

    /// <summary>A registered-models/search filter (§5.4).</summary>
    public static IReadOnlyList<Comparison> ParseRegisteredModelFilter(string? filter) =>
        FilterParser.ParseFilter(SearchSchemas.RegisteredModels, filter);

    /// <summary>A registered-models/search order_by list (§5.4), as given: the store appends name ASC.</summary>
    public static IReadOnlyList<OrderBy> ParseRegisteredModelOrderBy(IReadOnlyList<string>? orderBy) =>
        FilterParser.ParseOrderBy(SearchSchemas.RegisteredModels, orderBy);

    /// <summary>A model-versions/search filter (§5.5).</summary>
    public static IReadOnlyList<Comparison> ParseModelVersionFilter(string? filter) =>
        FilterParser.ParseFilter(SearchSchemas.ModelVersions, filter);

    /// <summary>A model-versions/search order_by list (§5.5), as given: the store appends the tie-breakers.</summary>
    public static IReadOnlyList<OrderBy> ParseModelVersionOrderBy(IReadOnlyList<string>? orderBy) =>
        FilterParser.ParseOrderBy(SearchSchemas.ModelVersions, orderBy);
}
