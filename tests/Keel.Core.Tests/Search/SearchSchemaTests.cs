using Keel.Core.Search;
using Keel.Core.Search.Internal;
using static Keel.Core.Tests.Search.SearchAssert;

namespace Keel.Core.Tests.Search;

/// <summary>The parser is driven by tables: a new entity (here §5.5 model versions) is a schema, not code.</summary>
public class SearchSchemaTests
{
    private static readonly SearchSchema ModelVersions = new()
    {
        Prefixes = new Dictionary<string, EntityKind>(StringComparer.Ordinal)
        {
            ["attribute"] = EntityKind.Attribute,
            ["tag"] = EntityKind.Tag,
            ["tags"] = EntityKind.Tag,
        },
        PrefixNames = ["attribute", "tag", "tags"],
        Kinds = new Dictionary<EntityKind, KindRule>
        {
            [EntityKind.Tag] = KindRule.Open(
                EntityKind.Tag,
                "tag",
                new KeyRule(ValueKind.String, [Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike]),
                orderable: false),
            [EntityKind.Attribute] = KindRule.Closed(
                EntityKind.Attribute,
                "attribute",
                [
                    (["name"], "name", new KeyRule(ValueKind.String, [Comparator.Equal, Comparator.Like])),
                    (["run_id"], "run_id", new KeyRule(
                        ValueKind.String, [Comparator.Equal, Comparator.In], ListValues.LowercaseOnly)),
                    (["source_path"], "source", new KeyRule(ValueKind.String, [Comparator.Equal])),
                    (["version_number"], "version", new KeyRule(ValueKind.Number, [Comparator.Equal, Comparator.Greater])),
                ],
                [(["name"], "name"), (["version_number"], "version")]),
        },
        RejectDuplicateOrderKeys = false,
    };

    [Fact]
    public void A_schema_table_defines_keys_canonical_names_and_value_types()
    {
        var clauses = FilterParser.ParseFilter(
            ModelVersions, "name LIKE 'm%' AND run_id IN ('abc', 'DEF') AND source_path = 's3://b' AND version_number > 3");
        Clause(clauses[0], EntityKind.Attribute, "name", Comparator.Like, "m%");
        Clause(clauses[1], EntityKind.Attribute, "run_id", Comparator.In, new[] { "abc" });
        Clause(clauses[2], EntityKind.Attribute, "source", Comparator.Equal, "s3://b");
        Clause(clauses[3], EntityKind.Attribute, "version", Comparator.Greater, 3.0);
    }

    [Fact]
    public void A_schema_table_limits_comparators_per_key() =>
        Invalid(
            () => FilterParser.ParseFilter(ModelVersions, "run_id NOT IN ('abc')"),
            "Invalid comparator 'NOT IN' not one of '['=', 'IN']' for attribute 'run_id'");

    [Fact]
    public void A_schema_table_limits_prefixes() =>
        Invalid(
            () => FilterParser.ParseFilter(ModelVersions, "metrics.acc > 1"),
            "Invalid entity type 'metrics'. Valid values are ['attribute', 'tag', 'tags']");

    [Fact]
    public void A_schema_table_defines_order_keys() =>
        Assert.Equal(
            new[] { new OrderBy(EntityKind.Attribute, "version", false) },
            FilterParser.ParseOrderBy(ModelVersions, ["version_number DESC"]));

    [Fact]
    public void The_run_and_experiment_schemas_cover_every_kind_their_prefixes_name()
    {
        foreach (var schema in new[] { SearchSchemas.Runs, SearchSchemas.Experiments })
        {
            Assert.All(schema.Prefixes.Values, kind => Assert.True(schema.Kinds.ContainsKey(kind)));
            Assert.True(schema.Kinds.ContainsKey(SearchSchema.Unprefixed));
        }
    }
}
