using Keel.Core.Errors;

namespace Keel.Core.Search.Internal;

/// <summary>
/// The search grammar of reference §5.1, checked against one entity's <see cref="SearchSchema"/>:
/// <c>clause { AND clause }</c> with <c>clause := identifier comparator [ value ]</c>, and order_by items
/// <c>identifier [ ASC | DESC ]</c>. Ground truth is MLflow's <c>mlflow/utils/search_utils.py</c>; where this
/// differs from it the difference is noted at the spot.
/// </summary>
internal static class FilterParser
{
    public static IReadOnlyList<Comparison> ParseFilter(SearchSchema schema, string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }

        var scanner = new FilterScanner(filter, "filter");
        var clauses = new List<Comparison>();
        while (true)
        {
            scanner.SkipWhitespace();
            clauses.Add(ParseClause(schema, scanner, filter));
            scanner.SkipWhitespace();
            if (scanner.AtEnd)
            {
                return clauses;
            }

            ExpectAnd(scanner, filter);
        }
    }

    public static IReadOnlyList<OrderBy> ParseOrderBy(SearchSchema schema, IReadOnlyList<string>? orderBy)
    {
        if (orderBy is null || orderBy.Count == 0)
        {
            return [];
        }

        var result = new List<OrderBy>(orderBy.Count);
        var seen = new HashSet<(EntityKind, string)>();
        foreach (var item in orderBy)
        {
            var parsed = ParseOrderByItem(schema, item);
            if (!seen.Add((parsed.Kind, parsed.Key)) && schema.RejectDuplicateOrderKeys)
            {
                // Duplicates are detected after alias resolution (created = start_time), as MLflow's store does.
                // MLflow raises this without an error code (HTTP 500); Keel answers 400 (reference §5.2).
                throw KeelException.Invalid($"`order_by` contains duplicate fields: {PythonText.List(orderBy)}");
            }

            result.Add(parsed);
        }

        return result;
    }

    private static Comparison ParseClause(SearchSchema schema, FilterScanner scanner, string filter)
    {
        if (scanner.AtEnd)
        {
            // Only reachable after a trailing AND. MLflow (via sqlparse) drops stray ANDs silently; Keel insists
            // on the documented grammar so a truncated filter is not mistaken for a complete one.
            throw KeelException.Invalid($"Invalid filter '{filter}': expected a clause after the last 'AND'");
        }

        RejectUnsupportedSyntax(scanner, filter);
        var identifier = scanner.TryReadIdentifier()
            ?? throw KeelException.Invalid(
                $"Invalid clause(s) in filter string: '{scanner.Rest}'. Expected an identifier such as "
                + $"'<prefix>.<key>' with a prefix in {PythonText.List(schema.PrefixNames)}, or an attribute name.");

        var (kind, key, rule) = ResolveFilterKey(schema, identifier);
        scanner.SkipWhitespace();
        var (op, opText) = scanner.ReadComparator();
        if (op is null)
        {
            if (opText.Length == 0)
            {
                throw scanner.Error(scanner.AtEnd
                    ? $"expected a comparator after '{identifier.Raw}'"
                    : $"expected a comparator after '{identifier.Raw}' but found '{scanner.Rest}' (quote keys that "
                        + "contain characters other than letters, digits and '_' with backticks or double quotes)");
            }

            throw InvalidComparator(opText, kind, identifier.Key, rule);
        }

        CheckComparator(op.Value, opText, kind, identifier.Key, rule);
        if (op is Comparator.IsNull or Comparator.IsNotNull)
        {
            return new Comparison(kind.Kind, key, op.Value, null);
        }

        scanner.SkipWhitespace();
        var value = scanner.ReadValue()
            ?? throw scanner.Error($"expected a value after '{identifier.Raw} {opText}'");
        return new Comparison(kind.Kind, key, op.Value, ConvertValue(value, op.Value, opText, kind, identifier.Key, rule));
    }

    private static void RejectUnsupportedSyntax(FilterScanner scanner, string filter)
    {
        if (scanner.PeekChar() is '(' or ')')
        {
            throw KeelException.Invalid(
                $"Invalid clause(s) in filter string: '{scanner.Rest}'. Parentheses are not supported; "
                + "join clauses with AND.");
        }

        foreach (var keyword in (string[])["AND", "OR", "NOT"])
        {
            if (scanner.AtKeyword(keyword))
            {
                throw KeelException.Invalid(
                    $"Invalid clause(s) in filter string: '{scanner.PeekWord()}' in filter '{filter}'. "
                    + "Expected a comparison such as metrics.acc > 0.9; only AND is supported between clauses.");
            }
        }
    }

    private static void ExpectAnd(FilterScanner scanner, string filter)
    {
        if (scanner.AtKeyword("AND"))
        {
            scanner.ReadWord();
            return;
        }

        if (scanner.PeekChar() == ';')
        {
            throw KeelException.Invalid(
                $"Search filter contained multiple expression '{filter}'. Provide AND-ed expression list.");
        }

        if (scanner.AtKeyword("OR"))
        {
            throw KeelException.Invalid(
                $"Invalid clause(s) in filter string: 'OR' in filter '{filter}'. OR is not supported; only AND "
                + "can join clauses.");
        }

        if (scanner.PeekChar() is '(' or ')')
        {
            throw KeelException.Invalid(
                $"Invalid clause(s) in filter string: '{scanner.Rest}'. Parentheses are not supported; "
                + "join clauses with AND.");
        }

        // MLflow would accept two comparisons side by side without AND (sqlparse groups them separately);
        // that is an accident of its tokenizer, not grammar, so Keel asks for the AND.
        throw KeelException.Invalid(
            $"Invalid clause(s) in filter string: '{scanner.Rest}'. Clauses must be joined with AND.");
    }

    private static (KindRule Kind, string Key, KeyRule Rule) ResolveFilterKey(SearchSchema schema, Identifier identifier)
    {
        var kind = ResolveKind(schema, identifier);
        if (kind.AnyKey is { } anyKey)
        {
            RequireKey(identifier, kind);
            return (kind, identifier.Key, anyKey);
        }

        if (!kind.FilterKeys.TryGetValue(identifier.Key, out var named))
        {
            throw KeelException.Invalid(
                $"Invalid {kind.Noun} key '{identifier.Key}' specified. Valid keys are "
                + $"'{PythonText.List(kind.FilterKeyNames)}'");
        }

        return (kind, named.Canonical, named.Rule);
    }

    private static KindRule ResolveKind(SearchSchema schema, Identifier identifier)
    {
        var entity = SearchSchema.Unprefixed;
        if (identifier.Prefix is { } prefix && !schema.Prefixes.TryGetValue(prefix, out entity))
        {
            throw KeelException.Invalid(
                $"Invalid entity type '{prefix}'. Valid values are {PythonText.List(schema.PrefixNames)}");
        }

        if (!schema.Kinds.TryGetValue(entity, out var kind))
        {
            // A schema must describe every kind its prefixes name; only an unprefixed key can miss.
            throw KeelException.Invalid(
                $"Invalid identifier '{identifier.Raw}'. Valid prefixes are {PythonText.List(schema.PrefixNames)}");
        }

        return kind;
    }

    private static void RequireKey(Identifier identifier, KindRule kind)
    {
        if (identifier.Key.Length == 0)
        {
            throw KeelException.Invalid($"Invalid identifier '{identifier.Raw}': the {kind.Noun} key is empty");
        }
    }

    private static void CheckComparator(Comparator op, string opText, KindRule kind, string writtenKey, KeyRule rule)
    {
        if (rule.Comparators.Contains(op))
        {
            return;
        }

        if (op is Comparator.In or Comparator.NotIn && kind.AnyKey is null && rule is { Value: ValueKind.String, Lists: ListValues.NotAllowed })
        {
            // MLflow lists IN/NOT IN among the comparators of every string attribute and refuses the list value
            // itself afterwards; keep its message, which names the keys that do take lists.
            var listKeys = kind.FilterKeys
                .Where(k => k.Value.Rule.Lists != ListValues.NotAllowed)
                .Select(k => k.Key)
                .Order(StringComparer.Ordinal)
                .ToList();
            throw KeelException.Invalid(listKeys.Count == 0
                ? $"The {kind.Noun} '{writtenKey}' does not support comparison with a list of values ('{opText}')."
                : $"Only the {string.Join(", ", listKeys.Select(k => $"'{k}'"))} {kind.Noun} supports comparison "
                    + "with a list of quoted string values.");
        }

        throw InvalidComparator(opText, kind, writtenKey, rule);
    }

    private static KeelException InvalidComparator(string opText, KindRule kind, string writtenKey, KeyRule rule)
    {
        var subject = kind.AnyKey is null ? $"{kind.Noun} '{writtenKey}'" : $"type '{kind.Noun}'";
        return KeelException.Invalid(
            $"Invalid comparator '{opText}' not one of '{PythonText.List(rule.Comparators.Select(Symbol))}' for {subject}");
    }

    private static object ConvertValue(
        ValueToken value, Comparator op, string opText, KindRule kind, string writtenKey, KeyRule rule)
    {
        if (op is Comparator.In or Comparator.NotIn)
        {
            if (value.Kind != ValueTokenKind.List)
            {
                throw KeelException.Invalid(
                    $"Expected a list of quoted string values for '{opText}' (e.g. ('a', 'b')). Got value {value.Raw}");
            }

            // Reproduces MLflow: values that are not all-lowercase are silently dropped, and a list that ends up
            // empty stays an (unsatisfiable) IN () rather than an error.
            return rule.Lists == ListValues.LowercaseOnly
                ? value.Items!.Where(PythonText.IsLower).ToArray()
                : value.Items!.ToArray();
        }

        if (value.Kind == ValueTokenKind.List)
        {
            // sqlparse would hand MLflow the list for '=' too and fail later; refuse it here with a reason.
            throw KeelException.Invalid(
                $"Comparator '{opText}' does not take a list value. Got value {value.Raw}; use IN or NOT IN.");
        }

        var subject = kind.AnyKey is null ? $"{kind.Noun} '{writtenKey}'" : kind.Noun;
        if (rule.Value == ValueKind.Number)
        {
            return value.Kind == ValueTokenKind.Number
                ? value.Number
                : throw KeelException.Invalid($"Expected numeric value type for {subject}. Found {value.Raw}");
        }

        return value.Kind switch
        {
            ValueTokenKind.String => value.Text!,
            ValueTokenKind.Bare => throw KeelException.Invalid(
                "Parameter value is either not quoted or unidentified quote types used for string value "
                + $"{value.Raw}. Use either single or double quotes."
                + (string.Equals(value.Raw, "NULL", StringComparison.OrdinalIgnoreCase)
                    && rule.Comparators.Contains(Comparator.IsNull)
                        ? " To match a missing key, use IS NULL."
                        : "")),
            _ => throw KeelException.Invalid(
                $"Expected a quoted string value for {subject} (e.g. 'my-value'). Got value {value.Raw}"),
        };
    }

    private static OrderBy ParseOrderByItem(SearchSchema schema, string? item)
    {
        if (string.IsNullOrWhiteSpace(item))
        {
            throw CouldNotParse(item);
        }

        var scanner = new FilterScanner(item, "order_by clause");
        scanner.SkipWhitespace();
        var identifier = scanner.TryReadIdentifier() ?? throw CouldNotParse(item);
        scanner.SkipWhitespace();
        var ascending = true;
        if (!scanner.AtEnd)
        {
            var direction = scanner.ReadWord() ?? throw CouldNotParse(item);
            if (string.Equals(direction, "DESC", StringComparison.OrdinalIgnoreCase))
            {
                ascending = false;
            }
            else if (!string.Equals(direction, "ASC", StringComparison.OrdinalIgnoreCase))
            {
                throw KeelException.Invalid($"Invalid ordering key in order_by clause '{item}'.");
            }

            scanner.SkipWhitespace();
            if (!scanner.AtEnd)
            {
                throw CouldNotParse(item);
            }
        }

        var kind = ResolveKind(schema, identifier);
        if (!kind.Orderable)
        {
            throw KeelException.Invalid(
                $"Invalid order_by entity: {kind.Noun} (in order_by clause '{item}'). {kind.Noun} keys cannot be "
                + "used to order results.");
        }

        if (kind.AnyKey is not null)
        {
            RequireKey(identifier, kind);
            return new OrderBy(kind.Kind, identifier.Key, ascending);
        }

        if (!kind.OrderKeys.TryGetValue(identifier.Key, out var canonical))
        {
            throw KeelException.Invalid(
                $"Invalid {kind.Noun} key '{identifier.Key}' specified. Valid keys are "
                + $"'{PythonText.List(kind.OrderKeyNames)}'");
        }

        return new OrderBy(kind.Kind, canonical, ascending);
    }

    private static KeelException CouldNotParse(string? item) =>
        KeelException.Invalid($"Invalid order_by clause '{item}'. Could not be parsed.");

    private static string Symbol(Comparator op) => op switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "!=",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Like => "LIKE",
        Comparator.ILike => "ILIKE",
        Comparator.In => "IN",
        Comparator.NotIn => "NOT IN",
        Comparator.IsNull => "IS NULL",
        Comparator.IsNotNull => "IS NOT NULL",
        _ => op.ToString(),
    };
}
