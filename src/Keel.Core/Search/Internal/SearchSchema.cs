using System.Collections.Frozen;

namespace Keel.Core.Search.Internal;

/// <summary>Whether a key compares against unquoted numbers or quoted strings.</summary>
internal enum ValueKind
{
    Number,
    String,
}

/// <summary>Whether a key accepts <c>IN (...)</c> lists, and how MLflow treats their values.</summary>
internal enum ListValues
{
    NotAllowed,
    Verbatim,

    /// <summary>
    /// MLflow's <c>_parse_run_ids</c> keeps only values for which Python's <c>str.islower()</c> holds (meant for
    /// hex run ids on case-insensitive MySQL). It is also applied to dataset lists and to registry run_id lists.
    /// </summary>
    LowercaseOnly,
}

/// <summary>What one key (or every key of an open kind such as metrics) accepts in a filter.</summary>
internal sealed record KeyRule(ValueKind Value, IReadOnlyList<Comparator> Comparators, ListValues Lists = ListValues.NotAllowed);

/// <summary>A spelling of a closed-kind key, the canonical key it stands for, and its rule.</summary>
internal sealed record NamedKey(string Canonical, KeyRule Rule);

/// <summary>
/// What one identifier kind accepts. Open kinds (metrics, params, tags) take any key under one rule; closed
/// kinds (attributes, datasets) list their keys, each spelling mapped to a canonical key.
/// </summary>
internal sealed class KindRule
{
    private KindRule(
        EntityKind kind,
        string noun,
        KeyRule? anyKey,
        IReadOnlyDictionary<string, NamedKey> filterKeys,
        IReadOnlyList<string> filterKeyNames,
        bool orderable,
        IReadOnlyDictionary<string, string> orderKeys,
        IReadOnlyList<string> orderKeyNames)
    {
        Kind = kind;
        Noun = noun;
        AnyKey = anyKey;
        FilterKeys = filterKeys;
        FilterKeyNames = filterKeyNames;
        Orderable = orderable;
        OrderKeys = orderKeys;
        OrderKeyNames = orderKeyNames;
    }

    public EntityKind Kind { get; }

    /// <summary>MLflow's name for the kind in its messages: metric, parameter, tag, attribute, dataset.</summary>
    public string Noun { get; }

    /// <summary>The rule for every key of an open kind; null for closed kinds.</summary>
    public KeyRule? AnyKey { get; }

    public IReadOnlyDictionary<string, NamedKey> FilterKeys { get; }

    /// <summary>The accepted spellings in table order, for error messages.</summary>
    public IReadOnlyList<string> FilterKeyNames { get; }

    public bool Orderable { get; }

    /// <summary>Order-by spelling → canonical key, for closed kinds (open kinds order by any key).</summary>
    public IReadOnlyDictionary<string, string> OrderKeys { get; }

    public IReadOnlyList<string> OrderKeyNames { get; }

    public static KindRule Open(EntityKind kind, string noun, KeyRule rule, bool orderable) =>
        new(kind, noun, rule, FrozenDictionary<string, NamedKey>.Empty, [], orderable, FrozenDictionary<string, string>.Empty, []);

    /// <param name="filterKeys">Each entry: the spellings, the canonical key, the rule.</param>
    /// <param name="orderKeys">Each entry: the spellings and the canonical key; empty when the kind is not orderable.</param>
    public static KindRule Closed(
        EntityKind kind,
        string noun,
        IEnumerable<(string[] Names, string Canonical, KeyRule Rule)> filterKeys,
        IEnumerable<(string[] Names, string Canonical)> orderKeys)
    {
        var filterNames = new List<string>();
        var filter = new Dictionary<string, NamedKey>(StringComparer.Ordinal);
        foreach (var (names, canonical, rule) in filterKeys)
        {
            foreach (var name in names)
            {
                filter.Add(name, new NamedKey(canonical, rule));
                filterNames.Add(name);
            }
        }

        var orderNames = new List<string>();
        var order = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (names, canonical) in orderKeys)
        {
            foreach (var name in names)
            {
                order.Add(name, canonical);
                orderNames.Add(name);
            }
        }

        return new(
            kind,
            noun,
            anyKey: null,
            filter.ToFrozenDictionary(StringComparer.Ordinal),
            filterNames,
            orderable: order.Count > 0,
            order.ToFrozenDictionary(StringComparer.Ordinal),
            orderNames);
    }
}

/// <summary>
/// Everything entity-specific about the search grammar (reference §5): which prefixes exist, which keys each
/// kind has, which comparators and values they take, and what may be ordered by. The parser itself is shared,
/// so registered models and model versions (§5.4, §5.5) are one more table each.
/// </summary>
internal sealed class SearchSchema
{
    /// <summary>Prefix spelling (case-sensitive, as in MLflow) → kind.</summary>
    public required IReadOnlyDictionary<string, EntityKind> Prefixes { get; init; }

    /// <summary>The prefixes as MLflow lists them in its "Invalid entity type" message.</summary>
    public required IReadOnlyList<string> PrefixNames { get; init; }

    public required IReadOnlyDictionary<EntityKind, KindRule> Kinds { get; init; }

    /// <summary>
    /// MLflow's SQL run store refuses an order_by naming the same field twice; its experiment and registry
    /// stores pass duplicates through to SQL, where they are harmless.
    /// </summary>
    public required bool RejectDuplicateOrderKeys { get; init; }

    /// <summary>A key without a prefix is an attribute for every MLflow entity.</summary>
    public static EntityKind Unprefixed => EntityKind.Attribute;
}

/// <summary>The tables for the entities Keel searches today.</summary>
internal static class SearchSchemas
{
    private static readonly Comparator[] NumericComparators =
    [
        Comparator.Equal, Comparator.NotEqual, Comparator.Greater, Comparator.GreaterOrEqual, Comparator.Less,
        Comparator.LessOrEqual,
    ];

    private static readonly Comparator[] StringComparators =
        [Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike];

    private static readonly Comparator[] ListComparators = [.. StringComparators, Comparator.In, Comparator.NotIn];

    // IS [NOT] NULL arrived for experiment tags in MLflow PR #21148 and for run params/tags in #21283; MLflow
    // accepts it nowhere else (not on metrics, not on nullable attributes such as end_time).
    private static readonly Comparator[] NullableStringComparators =
        [.. StringComparators, Comparator.IsNull, Comparator.IsNotNull];

    private static readonly KeyRule NumberKey = new(ValueKind.Number, NumericComparators);
    private static readonly KeyRule StringKey = new(ValueKind.String, StringComparators);
    private static readonly KeyRule NullableStringKey = new(ValueKind.String, NullableStringComparators);

    public static readonly SearchSchema Runs = new()
    {
        Prefixes = new Dictionary<string, EntityKind>(StringComparer.Ordinal)
        {
            ["metric"] = EntityKind.Metric,
            ["metrics"] = EntityKind.Metric,
            ["parameter"] = EntityKind.Param,
            ["parameters"] = EntityKind.Param,
            ["param"] = EntityKind.Param,
            ["params"] = EntityKind.Param,
            ["tag"] = EntityKind.Tag,
            ["tags"] = EntityKind.Tag,
            ["attribute"] = EntityKind.Attribute,
            ["attributes"] = EntityKind.Attribute,
            ["attr"] = EntityKind.Attribute,
            ["run"] = EntityKind.Attribute,
            ["dataset"] = EntityKind.Dataset,
            ["datasets"] = EntityKind.Dataset,
        }.ToFrozenDictionary(StringComparer.Ordinal),
        PrefixNames = ["metric", "parameter", "tag", "attribute", "dataset"],
        Kinds = new Dictionary<EntityKind, KindRule>
        {
            [EntityKind.Metric] = KindRule.Open(EntityKind.Metric, "metric", NumberKey, orderable: true),
            [EntityKind.Param] = KindRule.Open(EntityKind.Param, "parameter", NullableStringKey, orderable: true),
            [EntityKind.Tag] = KindRule.Open(EntityKind.Tag, "tag", NullableStringKey, orderable: true),
            [EntityKind.Attribute] = KindRule.Closed(
                EntityKind.Attribute,
                "attribute",
                [
                    (["run_id"], "run_id", new KeyRule(ValueKind.String, ListComparators, ListValues.LowercaseOnly)),
                    (["run_name", "run name", "Run name", "Run Name"], "run_name", StringKey),
                    (["status"], "status", StringKey),
                    (["user_id"], "user_id", StringKey),
                    (["artifact_uri"], "artifact_uri", StringKey),
                    (["start_time", "created", "Created"], "start_time", NumberKey),
                    (["end_time"], "end_time", NumberKey),
                ],
                // MLflow's orderable set is RunInfo's searchable attributes plus created/Created; the spaced
                // run-name spellings are filter-only there, and lifecycle_stage is neither.
                [
                    (["run_id"], "run_id"),
                    (["run_name"], "run_name"),
                    (["status"], "status"),
                    (["user_id"], "user_id"),
                    (["artifact_uri"], "artifact_uri"),
                    (["start_time", "created", "Created"], "start_time"),
                    (["end_time"], "end_time"),
                ]),
            [EntityKind.Dataset] = KindRule.Closed(
                EntityKind.Dataset,
                "dataset",
                [
                    (["name"], "name", new KeyRule(ValueKind.String, ListComparators, ListValues.LowercaseOnly)),
                    (["digest"], "digest", new KeyRule(ValueKind.String, ListComparators, ListValues.LowercaseOnly)),
                    (["context"], "context", new KeyRule(ValueKind.String, ListComparators, ListValues.LowercaseOnly)),
                ],
                []),
        }.ToFrozenDictionary(),
        RejectDuplicateOrderKeys = true,
    };

    public static readonly SearchSchema Experiments = new()
    {
        // SearchExperimentsUtils accepts only these three prefixes: `attributes.` (valid for runs) is rejected.
        Prefixes = new Dictionary<string, EntityKind>(StringComparer.Ordinal)
        {
            ["attribute"] = EntityKind.Attribute,
            ["tag"] = EntityKind.Tag,
            ["tags"] = EntityKind.Tag,
        }.ToFrozenDictionary(StringComparer.Ordinal),
        PrefixNames = ["attribute", "tag", "tags"],
        Kinds = new Dictionary<EntityKind, KindRule>
        {
            [EntityKind.Tag] = KindRule.Open(EntityKind.Tag, "tag", NullableStringKey, orderable: false),
            [EntityKind.Attribute] = KindRule.Closed(
                EntityKind.Attribute,
                "attribute",
                [
                    (["name"], "name", StringKey),
                    (["creation_time"], "creation_time", NumberKey),
                    (["last_update_time"], "last_update_time", NumberKey),
                ],
                [
                    (["name"], "name"),
                    (["experiment_id"], "experiment_id"),
                    (["creation_time"], "creation_time"),
                    (["last_update_time"], "last_update_time"),
                ]),
        }.ToFrozenDictionary(),
        RejectDuplicateOrderKeys = false,
    };

    // Registry searches (reference §5.4, §5.5) accept `attribute.`, `tag.` and `tags.` and nothing else.
    private static readonly IReadOnlyDictionary<string, EntityKind> RegistryPrefixes = new Dictionary<string, EntityKind>(StringComparer.Ordinal)
    {
        ["attribute"] = EntityKind.Attribute,
        ["tag"] = EntityKind.Tag,
        ["tags"] = EntityKind.Tag,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly SearchSchema RegisteredModels = Registry(
        [(["name"], "name", StringKey)],
        // `timestamp` and `last_updated_timestamp` both sort by the last update (MLflow's SQL store).
        [
            (["name"], "name"),
            (["timestamp", "last_updated_timestamp"], "last_updated_timestamp"),
        ]);

    public static readonly SearchSchema ModelVersions = Registry(
        [
            (["name"], "name", StringKey),
            // NOT IN is not supported for versions; IN keeps lowercase values only, as for runs.
            (["run_id"], "run_id", new KeyRule(ValueKind.String, [.. StringComparators, Comparator.In], ListValues.LowercaseOnly)),
            (["source_path"], "source_path", StringKey),
            (["version_number"], "version_number", NumberKey),
        ],
        [
            (["name"], "name"),
            (["version_number"], "version_number"),
            (["creation_timestamp"], "creation_timestamp"),
            (["last_updated_timestamp"], "last_updated_timestamp"),
        ]);

    /// <summary>A registry entity: its attributes, and tags that are filterable but not orderable.</summary>
    private static SearchSchema Registry(
        IEnumerable<(string[] Names, string Canonical, KeyRule Rule)> attributes, IEnumerable<(string[] Names, string Canonical)> orderKeys) => new()
        {
            Prefixes = RegistryPrefixes,
            PrefixNames = ["attribute", "tag", "tags"],
            Kinds = new Dictionary<EntityKind, KindRule>
            {
                [EntityKind.Tag] = KindRule.Open(EntityKind.Tag, "tag", StringKey, orderable: false),
                [EntityKind.Attribute] = KindRule.Closed(EntityKind.Attribute, "attribute", attributes, orderKeys),
            }.ToFrozenDictionary(),
            RejectDuplicateOrderKeys = true,
        };
}
