using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Keel.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keel.Data.Validation;

/// <summary>What <c>add</c> does with a version that fails the suite attached to its dataset.</summary>
public enum OnFailure
{
    /// <summary>The version is not created; the error carries the report.</summary>
    Refuse,

    /// <summary>The version is created and the report is kept with it, marked failed.</summary>
    Warn,
}

/// <summary>A distribution check of one column against the suite's reference.</summary>
/// <param name="Method"><c>psi</c>, <c>ks</c> (Kolmogorov–Smirnov statistic) or <c>mean_shift</c> (|Δmean| / reference std).</param>
/// <param name="Threshold">The check fails when the statistic exceeds it.</param>
public sealed record DriftCheck(string Method, double Threshold);

/// <summary>The expectations on one column; null means "not checked".</summary>
public sealed record ColumnExpectations(string Name)
{
    /// <summary>MLflow's type name, or <c>number</c> for any numeric type.</summary>
    public string? Type { get; init; }

    public bool Required { get; init; } = true;

    public bool NotNull { get; init; }

    public double? MaxMissingShare { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    public bool Unique { get; init; }

    public IReadOnlyList<string>? AllowedValues { get; init; }

    public string? Regex { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    public double? MeanMin { get; init; }

    public double? MeanMax { get; init; }

    public DriftCheck? Drift { get; init; }
}

/// <summary>
/// An expectation suite: rules on a table's rows and columns, written in YAML (see
/// docs/data-validation.md). Parsing names the field and the rule of every mistake.
/// </summary>
public sealed record ExpectationSuite(string Name, IReadOnlyList<ColumnExpectations> Columns)
{
    public const int MaxRules = 10_000;

    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "double", "float", "long", "integer", "boolean", "string", "number",
    };

    public static readonly IReadOnlySet<string> DriftMethods = new HashSet<string>(StringComparer.Ordinal) { "psi", "ks", "mean_shift" };

    public OnFailure OnAdd { get; init; } = OnFailure.Refuse;

    /// <summary>What distribution checks compare against: <c>DATASET@VERSION</c>, or a file path (relative to the suite's folder).</summary>
    public string? Reference { get; init; }

    public long? MinRows { get; init; }

    public long? MaxRows { get; init; }

    /// <summary>Whether columns the suite does not list are allowed (default true).</summary>
    public bool AllowExtraColumns { get; init; } = true;

    public static ExpectationSuite Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw KeelException.Invalid($"The suite is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw KeelException.Invalid("A suite is a YAML mapping with 'columns' (and optionally 'name', 'on_add', 'reference', 'row_count', 'allow_extra_columns').");
        }

        var fields = Fields(root, "suite", ["name", "on_add", "reference", "row_count", "allow_extra_columns", "columns"]);
        var suite = new ExpectationSuite(Text(fields, "name", "suite") ?? "suite", ParseColumns(fields));
        if (fields.TryGetValue("on_add", out var onAdd))
        {
            suite = suite with
            {
                OnAdd = Scalar(onAdd, "on_add") switch
                {
                    "refuse" => OnFailure.Refuse,
                    "warn" => OnFailure.Warn,
                    var other => throw KeelException.Invalid($"on_add: '{other}' is not one of refuse, warn."),
                },
            };
        }

        if (fields.TryGetValue("row_count", out var rows))
        {
            var bounds = Fields(rows, "row_count", ["min", "max"]);
            suite = suite with { MinRows = Integer(bounds, "min", "row_count"), MaxRows = Integer(bounds, "max", "row_count") };
        }

        return suite with
        {
            Reference = Text(fields, "reference", "suite"),
            AllowExtraColumns = Bool(fields, "allow_extra_columns", "suite") ?? true,
        };
    }

    /// <summary>The suite as YAML that <see cref="Parse"/> reads back to an equal suite.</summary>
    public string ToYaml()
    {
        var yaml = new StringBuilder();
        yaml.Append("# Keel expectation suite: rules checked by `keel data validate` and, when attached to a dataset, on `keel data add`.\n");
        yaml.Append("name: ").Append(Quote(Name)).Append('\n');
        yaml.Append("on_add: ").Append(OnAdd == OnFailure.Refuse ? "refuse" : "warn").Append("   # refuse | warn\n");
        if (Reference is not null)
        {
            yaml.Append("reference: ").Append(Quote(Reference)).Append("   # what drift checks compare against\n");
        }

        if (MinRows is not null || MaxRows is not null)
        {
            yaml.Append("row_count:\n");
            AppendNumber(yaml, "  ", "min", MinRows);
            AppendNumber(yaml, "  ", "max", MaxRows);
        }

        yaml.Append("allow_extra_columns: ").Append(AllowExtraColumns ? "true" : "false").Append('\n');
        yaml.Append("columns:\n");
        foreach (var column in Columns)
        {
            yaml.Append("  ").Append(Quote(column.Name)).Append(":\n");
            const string indent = "    ";
            if (column.Type is not null)
            {
                yaml.Append(indent).Append("type: ").Append(column.Type).Append('\n');
            }

            if (!column.Required)
            {
                yaml.Append(indent).Append("required: false\n");
            }

            if (column.NotNull)
            {
                yaml.Append(indent).Append("not_null: true\n");
            }

            AppendNumber(yaml, indent, "max_missing_share", column.MaxMissingShare);
            AppendNumber(yaml, indent, "min", column.Min);
            AppendNumber(yaml, indent, "max", column.Max);
            if (column.Unique)
            {
                yaml.Append(indent).Append("unique: true\n");
            }

            if (column.AllowedValues is not null)
            {
                yaml.Append(indent).Append("allowed_values: [").AppendJoin(", ", column.AllowedValues.Select(Quote)).Append("]\n");
            }

            if (column.Regex is not null)
            {
                yaml.Append(indent).Append("regex: ").Append(Quote(column.Regex)).Append('\n');
            }

            AppendNumber(yaml, indent, "min_length", column.MinLength);
            AppendNumber(yaml, indent, "max_length", column.MaxLength);
            if (column.MeanMin is not null || column.MeanMax is not null)
            {
                yaml.Append(indent).Append("mean:\n");
                AppendNumber(yaml, indent + "  ", "min", column.MeanMin);
                AppendNumber(yaml, indent + "  ", "max", column.MeanMax);
            }

            if (column.Drift is { } drift)
            {
                yaml.Append(indent).Append("drift: {method: ").Append(drift.Method).Append(", threshold: ")
                    .Append(drift.Threshold.ToString("R", CultureInfo.InvariantCulture)).Append("}\n");
            }
        }

        return yaml.ToString();
    }

    private static List<ColumnExpectations> ParseColumns(Dictionary<string, YamlNode> fields)
    {
        if (!fields.TryGetValue("columns", out var node))
        {
            return [];
        }

        if (node is not YamlMappingNode columns)
        {
            throw KeelException.Invalid("columns: expected a mapping from column name to its rules.");
        }

        var result = new List<ColumnExpectations>();
        foreach (var (key, value) in columns.Children)
        {
            var name = Scalar(key, "columns");
            var where = $"columns.{name}";
            var rules = value is YamlScalarNode { Value: null or "" or "~" or "null" }
                ? []
                : Fields(value, where, ["type", "required", "not_null", "max_missing_share", "min", "max", "unique", "allowed_values", "regex", "min_length", "max_length", "mean", "drift"]);
            var column = new ColumnExpectations(name)
            {
                Type = Text(rules, "type", where),
                Required = Bool(rules, "required", where) ?? true,
                NotNull = Bool(rules, "not_null", where) ?? false,
                MaxMissingShare = Number(rules, "max_missing_share", where),
                Min = Number(rules, "min", where),
                Max = Number(rules, "max", where),
                Unique = Bool(rules, "unique", where) ?? false,
                Regex = Text(rules, "regex", where),
                MinLength = (int?)Integer(rules, "min_length", where),
                MaxLength = (int?)Integer(rules, "max_length", where),
            };
            if (column.Type is not null && !Types.Contains(column.Type))
            {
                throw KeelException.Invalid($"{where}.type: '{column.Type}' is not one of {string.Join(", ", Types.Order(StringComparer.Ordinal))}.");
            }

            if (column.MaxMissingShare is < 0 or > 1)
            {
                throw KeelException.Invalid($"{where}.max_missing_share: {column.MaxMissingShare} is not between 0 and 1.");
            }

            if (column.Min > column.Max)
            {
                throw KeelException.Invalid($"{where}: min ({column.Min}) is above max ({column.Max}).");
            }

            if (column.Regex is not null)
            {
                try
                {
                    _ = new Regex(column.Regex, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
                }
                catch (ArgumentException e)
                {
                    throw KeelException.Invalid($"{where}.regex: '{column.Regex}' is not a regular expression Keel runs ({e.Message}).");
                }
            }

            if (rules.TryGetValue("allowed_values", out var allowed))
            {
                column = column with
                {
                    AllowedValues = allowed is YamlSequenceNode list
                        ? list.Children.Select(item => Scalar(item, $"{where}.allowed_values")).ToList()
                        : throw KeelException.Invalid($"{where}.allowed_values: expected a list of values."),
                };
            }

            if (rules.TryGetValue("mean", out var mean))
            {
                var bounds = Fields(mean, $"{where}.mean", ["min", "max"]);
                column = column with { MeanMin = Number(bounds, "min", $"{where}.mean"), MeanMax = Number(bounds, "max", $"{where}.mean") };
            }

            if (rules.TryGetValue("drift", out var drift))
            {
                var check = Fields(drift, $"{where}.drift", ["method", "threshold"]);
                var method = Text(check, "method", $"{where}.drift") ?? "psi";
                if (!DriftMethods.Contains(method))
                {
                    throw KeelException.Invalid($"{where}.drift.method: '{method}' is not one of psi, ks, mean_shift.");
                }

                var threshold = Number(check, "threshold", $"{where}.drift") ?? (method == "ks" ? 0.1 : 0.2);
                column = column with { Drift = new DriftCheck(method, threshold) };
            }

            result.Add(column);
        }

        if (result.Count > MaxRules)
        {
            throw KeelException.Invalid($"columns: {result.Count} columns; a suite checks at most {MaxRules}.");
        }

        return result;
    }

    private static Dictionary<string, YamlNode> Fields(YamlNode node, string where, string[] known)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw KeelException.Invalid($"{where}: expected a mapping (key: value lines).");
        }

        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            var name = Scalar(key, where);
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw KeelException.Invalid($"{where}: unknown field '{name}'; the fields are {string.Join(", ", known)}.");
            }

            fields[name] = value;
        }

        return fields;
    }

    private static string Scalar(YamlNode node, string where) =>
        node is YamlScalarNode { Value: { } value } ? value : throw KeelException.Invalid($"{where}: expected a single value, not a list or mapping.");

    private static string? Text(Dictionary<string, YamlNode> fields, string key, string where) =>
        fields.TryGetValue(key, out var node) ? Scalar(node, $"{where}.{key}") : null;

    private static double? Number(Dictionary<string, YamlNode> fields, string key, string where)
    {
        var text = Text(fields, key, where);
        return text is null ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
            : throw KeelException.Invalid($"{where}.{key}: '{text}' is not a number.");
    }

    private static long? Integer(Dictionary<string, YamlNode> fields, string key, string where)
    {
        var text = Text(fields, key, where);
        return text is null ? null
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
            : throw KeelException.Invalid($"{where}.{key}: '{text}' is not a whole number ≥ 0.");
    }

    private static bool? Bool(Dictionary<string, YamlNode> fields, string key, string where) => Text(fields, key, where) switch
    {
        null => null,
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        var other => throw KeelException.Invalid($"{where}.{key}: '{other}' is not true or false."),
    };

    private static void AppendNumber(StringBuilder yaml, string indent, string key, double? value)
    {
        if (value is { } number)
        {
            yaml.Append(indent).Append(key).Append(": ").Append(number.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void AppendNumber(StringBuilder yaml, string indent, string key, long? value)
    {
        if (value is { } number)
        {
            yaml.Append(indent).Append(key).Append(": ").Append(number.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    /// <summary>A YAML scalar in single quotes (a quote doubled), so that any text reads back as the same string.</summary>
    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
