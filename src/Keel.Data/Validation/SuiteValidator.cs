using System.Globalization;
using System.Text.RegularExpressions;
using Keel.Data.Profiling;
using Keel.Tabular;
using Keel.Tabular.Chunks;

namespace Keel.Data.Validation;

/// <summary>
/// Checks a table against an <see cref="ExpectationSuite"/> in one pass over its chunks: the row
/// rules (not null, range, allowed values, regex, length, uniqueness, type) count failing rows and
/// keep the first few; the column rules (missing share, mean, drift against a reference profile)
/// read the profile built in the same pass, which is returned too.
/// </summary>
public static class SuiteValidator
{
    public const int SampleSize = 5;

    public static async Task<(ValidationReport Report, TableProfile Profile)> ValidateAsync(
        ExpectationSuite suite,
        Func<CancellationToken, Task<TableChunkReader>> open,
        string dataName,
        TableProfile? reference,
        ProfileOptions? options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(suite);
        RowChecks? checks = null;
        var profile = await TableProfiler.ProfileAsync(
            open, options,
            () =>
            {
                checks = new RowChecks(suite, reference);
                return checks.Observe;
            },
            cancellationToken);
        return (Report(suite, dataName, profile, reference, checks), profile);
    }

    private static ValidationReport Report(ExpectationSuite suite, string dataName, TableProfile profile, TableProfile? reference, RowChecks? checks)
    {
        var results = new List<RuleResult>();
        if (suite.MinRows is not null || suite.MaxRows is not null)
        {
            var passed = profile.RowCount >= (suite.MinRows ?? 0) && profile.RowCount <= (suite.MaxRows ?? long.MaxValue);
            results.Add(new RuleResult("row_count", null, passed, Between(suite.MinRows, suite.MaxRows), N(profile.RowCount), null, null));
        }

        if (!suite.AllowExtraColumns)
        {
            var extra = profile.Columns.Select(c => c.Name).Where(n => !suite.Columns.Any(c => c.Name == n)).ToList();
            results.Add(new RuleResult("no_extra_columns", null, extra.Count == 0, "only the columns the suite lists",
                extra.Count == 0 ? "none" : string.Join(", ", extra), null, null));
        }

        foreach (var column in suite.Columns)
        {
            var observed = profile[column.Name];
            if (observed is null)
            {
                if (column.Required)
                {
                    results.Add(new RuleResult("present", column.Name, false, "the column exists",
                        $"missing; the columns are {string.Join(", ", profile.Columns.Select(c => c.Name))}", null, null));
                }

                continue;
            }

            if (column.Required)
            {
                results.Add(new RuleResult("present", column.Name, true, "the column exists", "present", null, null));
            }

            checks?.AddResults(column.Name, results);
            if (column.MaxMissingShare is { } maxMissing)
            {
                results.Add(new RuleResult("max_missing_share", column.Name, observed.MissingShare <= maxMissing,
                    $"≤ {F(maxMissing)}", $"{F(observed.MissingShare)} ({N(observed.Missing)} missing)", null, null));
            }

            if (column.MeanMin is not null || column.MeanMax is not null)
            {
                var mean = observed.Numeric?.Mean;
                results.Add(new RuleResult("mean", column.Name,
                    mean is { } m && m >= (column.MeanMin ?? double.NegativeInfinity) && m <= (column.MeanMax ?? double.PositiveInfinity),
                    Between(column.MeanMin, column.MeanMax), mean is null ? $"no numeric values ({observed.Type})" : F(mean.Value), null, null));
            }

            if (column.Drift is { } drift)
            {
                results.Add(Drift(column.Name, drift, observed, reference?[column.Name], checks));
            }
        }

        var failed = results.Count(r => !r.Passed);
        return new ValidationReport(suite.Name, dataName, failed == 0, profile.RowCount, results.Count - failed, failed, results);
    }

    private static RuleResult Drift(string name, DriftCheck drift, ColumnProfile current, ColumnProfile? reference, RowChecks? checks)
    {
        var expected = $"{drift.Method} ≤ {F(drift.Threshold)} against the reference";
        if (reference is null)
        {
            return new RuleResult("drift", name, false, expected, "no reference profile for this column (set the suite's 'reference')", null, null);
        }

        double? statistic = drift.Method switch
        {
            "mean_shift" when current.Numeric is { } c && reference.Numeric is { } r =>
                r.Std > 0 ? Math.Abs(c.Mean - r.Mean) / r.Std : (c.Mean == r.Mean ? 0 : double.PositiveInfinity),
            "ks" when current.Numeric is { } c && reference.Numeric is { } r => DriftStatistics.KolmogorovSmirnov(r.QuantileGrid, c.QuantileGrid),
            "psi" when reference.Numeric is { } r && checks?.DecileCounts(name) is { } counts => DriftStatistics.Psi(r.Deciles.Counts, counts),
            "psi" when current.Categorical is { Categories: { } c } && reference.Categorical is { Categories: { } r } => DriftStatistics.Psi(r, c),
            _ => null,
        };
        return statistic is { } value
            ? new RuleResult("drift", name, value <= drift.Threshold, expected, $"{drift.Method} = {F(value)}", null, null)
            : new RuleResult("drift", name, false, expected,
                $"{drift.Method} cannot compare a {current.Type} column with a {reference.Type} reference (psi needs numbers or at most {ProfileOptions.Default.MaxCategories} categories on both sides; ks and mean_shift need numbers)", null, null);
    }

    private static string Between(double? min, double? max) =>
        (min, max) switch
        {
            (null, null) => "any",
            ({ } low, null) => $"≥ {F(low)}",
            (null, { } high) => $"≤ {F(high)}",
            ({ } low, { } high) => $"between {F(low)} and {F(high)}",
        };

    private static string Between(long? min, long? max) => Between((double?)min, (double?)max);

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The row rules of one read of the file, compiled against the first chunk's column types.</summary>
    private sealed class RowChecks(ExpectationSuite suite, TableProfile? reference)
    {
        private readonly Dictionary<string, List<RowRule>> _rules = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long[]> _deciles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<double>> _decileEdges = new(StringComparer.Ordinal);
        private string[]? _columns;   // the checked columns, once compiled

        public void Observe(TableChunk chunk)
        {
            var table = chunk.Table;
            if (_columns is null)
            {
                Compile(table);
                _columns = [.. _rules.Keys];
            }

            // Each column's rules keep their own state, so columns are checked apart (on every core for a big chunk).
            var columns = _columns;
            TableProfiler.ForEachColumn(table.RowCount, columns.Length, i => Check(table[columns[i]], chunk.FirstRow));
        }

        private void Check(Column column, long firstRow)
        {
            foreach (var rule in _rules[column.Name])
            {
                rule.Check(column, firstRow);
            }

            if (_deciles.TryGetValue(column.Name, out var counts))
            {
                var edges = _decileEdges[column.Name];
                for (var row = 0; row < column.Length; row++)
                {
                    var bin = Distribution.BinOf(column.GetDouble(row), edges);
                    if (bin >= 0)
                    {
                        counts[bin]++;
                    }
                }
            }
        }

        public long[]? DecileCounts(string column) => _deciles.GetValueOrDefault(column);

        public void AddResults(string column, List<RuleResult> results)
        {
            foreach (var rule in _rules.GetValueOrDefault(column) ?? [])
            {
                results.Add(rule.Result(column));
            }
        }

        private void Compile(Table table)
        {
            foreach (var expect in suite.Columns.Where(c => table.Contains(c.Name)))
            {
                var column = table[expect.Name];
                var rules = new List<RowRule>();
                if (expect.Type is { } type)
                {
                    rules.Add(TypeRule(type, column));
                }

                if (expect.NotNull)
                {
                    rules.Add(new RowRule("not_null", "no missing values", (c, row) => c.IsMissing(row), countMissing: true));
                }

                if (expect.Min is not null || expect.Max is not null)
                {
                    double low = expect.Min ?? double.NegativeInfinity, high = expect.Max ?? double.PositiveInfinity;
                    rules.Add(column.IsNumeric
                        ? new RowRule("range", Between(expect.Min, expect.Max), (c, row) => c.GetDouble(row) is var v && (v < low || v > high))
                        : new RowRule("range", Between(expect.Min, expect.Max), (c, row) => !TryNumber(c.GetString(row), out var v) || v < low || v > high));
                }

                if (expect.AllowedValues is { } allowed)
                {
                    var texts = allowed.ToHashSet(StringComparer.Ordinal);
                    var numbers = allowed.Select(a => TryNumber(a, out var v) ? v : double.NaN).Where(v => !double.IsNaN(v)).ToHashSet();
                    var shown = allowed.Count <= 10 ? string.Join(", ", allowed) : string.Join(", ", allowed.Take(10)) + $", … ({allowed.Count} values)";
                    rules.Add(column.IsNumeric
                        ? new RowRule("allowed_values", $"one of {shown}", (c, row) => !numbers.Contains(c.GetDouble(row)))
                        : new RowRule("allowed_values", $"one of {shown}", (c, row) => !texts.Contains(c.GetString(row)!)));
                }

                if (expect.Regex is { } pattern)
                {
                    var regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
                    var cache = new MatchCache(regex);
                    rules.Add(new RowRule("regex", $"matches {pattern}", (c, row) => !cache.IsMatch(c.GetString(row)!)));
                }

                if (expect.MinLength is not null || expect.MaxLength is not null)
                {
                    int low = expect.MinLength ?? 0, high = expect.MaxLength ?? int.MaxValue;
                    rules.Add(new RowRule("length", $"{Between(expect.MinLength, expect.MaxLength)} characters",
                        (c, row) => c.GetString(row)!.Length is var length && (length < low || length > high)));
                }

                if (expect.Unique)
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var seenNumbers = new HashSet<double>();
                    rules.Add(column.IsNumeric
                        ? new RowRule("unique", "no value twice", (c, row) => !seenNumbers.Add(c.GetDouble(row)))
                        : new RowRule("unique", "no value twice", (c, row) => !seen.Add(c.GetString(row)!)));
                }

                if (expect.Drift is { Method: "psi" } && column.IsNumeric && reference?[expect.Name]?.Numeric is { } referenceNumbers)
                {
                    _deciles[expect.Name] = new long[referenceNumbers.Deciles.Counts.Count];
                    _decileEdges[expect.Name] = referenceNumbers.Deciles.Edges;
                }

                _rules[expect.Name] = rules;
            }
        }

        private static RowRule TypeRule(string expected, Column column)
        {
            var actual = TableProfiler.TypeName(column.Type);
            var fits = expected switch
            {
                "number" or "double" or "float" => column.IsNumeric,
                "long" or "integer" => column.Type is ColumnType.Int64 or ColumnType.Int32,
                _ => string.Equals(expected, actual, StringComparison.Ordinal),
            };
            if (fits)
            {
                return new RowRule("type", expected, null, observed: actual);
            }

            // Which values keep the column from being of the expected type.
            Func<Column, int, bool> wrong = expected switch
            {
                "number" or "double" or "float" => (c, row) => !TryNumber(c.GetString(row), out _),
                "long" or "integer" => (c, row) => !long.TryParse(c.GetString(row), NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "boolean" => (c, row) => c.GetString(row) is not ("true" or "false" or "True" or "False" or "TRUE" or "FALSE"),
                _ => (_, _) => true,
            };
            return new RowRule("type", expected, wrong, observed: actual);
        }

        private static bool TryNumber(string? text, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A regex's answers for values seen before (a column of few distinct values, such as codes,
    /// is matched once per value). When the first <see cref="Probe"/> lookups mostly miss (a column
    /// of near-unique values, such as e-mail addresses), the cache is dropped: it would only add a
    /// hash and an insert to every match.
    /// </summary>
    private sealed class MatchCache(Regex regex)
    {
        private const int Probe = 4_096;
        private const int MaxEntries = 100_000;
        private Dictionary<string, bool>? _seen = new(StringComparer.Ordinal);
        private int _lookups;
        private int _hits;

        public bool IsMatch(string text)
        {
            if (_seen is null)
            {
                return regex.IsMatch(text);
            }

            if (_seen.TryGetValue(text, out var matches))
            {
                _hits++;
            }
            else
            {
                matches = regex.IsMatch(text);
                if (_seen.Count < MaxEntries)
                {
                    _seen[text] = matches;
                }
            }

            if (++_lookups == Probe && _hits < Probe / 2)
            {
                _seen = null;
            }

            return matches;
        }
    }

    /// <summary>One row rule: how many rows failed it and the first <see cref="SampleSize"/> of them.</summary>
    /// <remarks>A rule with no <c>fails</c> holds for every row (a column already of the expected type): no row is checked, only counted.</remarks>
    private sealed class RowRule(string name, string expected, Func<Column, int, bool>? fails, bool countMissing = false, string? observed = null)
    {
        private readonly List<FailingRow> _sample = [];
        private long _failing;
        private long _checked;

        public void Check(Column column, long firstRow)
        {
            if (fails is null)
            {
                _checked += countMissing ? column.Length : column.Length - column.MissingCount;
                return;
            }

            for (var row = 0; row < column.Length; row++)
            {
                if (!countMissing && column.IsMissing(row))
                {
                    continue;
                }

                _checked++;
                if (fails(column, row))
                {
                    _failing++;
                    if (_sample.Count < SampleSize)
                    {
                        _sample.Add(new FailingRow(firstRow + row, column.GetString(row)));
                    }
                }
            }
        }

        public RuleResult Result(string column) => new(
            name, column, _failing == 0, expected,
            observed is null
                ? $"{_failing.ToString(CultureInfo.InvariantCulture)} of {_checked.ToString(CultureInfo.InvariantCulture)} rows fail"
                : _failing == 0 ? observed : $"{observed}: {_failing.ToString(CultureInfo.InvariantCulture)} values do not fit",
            _failing, _sample);
    }
}
