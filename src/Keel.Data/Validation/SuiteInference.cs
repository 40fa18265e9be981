using Keel.Data.Profiling;

namespace Keel.Data.Validation;

/// <summary>
/// A suite inferred from a profile, for a person to edit (<c>keel data suite init</c>): every column
/// present with its type; not null where nothing is missing, else a missing share of at most twice
/// the observed one; the observed range for numbers; the values for categories with at most
/// <see cref="MaxAllowedValues"/> of them; unique where every value is; and, when a reference is
/// named, a PSI ≤ 0.2 drift check per column.
/// </summary>
public static class SuiteInference
{
    public const int MaxAllowedValues = 20;

    public static ExpectationSuite FromProfile(TableProfile profile, string name, string? reference)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var columns = new List<ColumnExpectations>();
        foreach (var column in profile.Columns)
        {
            var expect = new ColumnExpectations(column.Name)
            {
                Type = column.Type,
                NotNull = column.Missing == 0 && column.Count > 0,
                MaxMissingShare = column.Missing == 0 ? null : Math.Min(1, Math.Ceiling(column.MissingShare * 2 * 1000) / 1000),
                Min = column.Numeric?.Min,
                Max = column.Numeric?.Max,
                Unique = column.DistinctExact && column.Count > 1 && column.Distinct == column.Count && column.Type is "long" or "integer" or "string",
                AllowedValues = column.Categorical is { Exact: true, Categories: { Count: <= MaxAllowedValues } categories } && column.Type == "string"
                    ? categories.Select(c => c.Value).Order(StringComparer.Ordinal).ToList()
                    : null,
                Drift = reference is not null && (column.Numeric is not null || column.Categorical?.Categories is not null)
                    ? new DriftCheck("psi", 0.2)
                    : null,
            };
            columns.Add(expect);
        }

        return new ExpectationSuite(name, columns)
        {
            Reference = reference,
            MinRows = profile.RowCount > 0 ? 1 : null,
        };
    }
}
