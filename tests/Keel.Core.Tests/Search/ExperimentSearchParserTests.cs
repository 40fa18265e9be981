using Keel.Core.Search;
using static Keel.Core.Tests.Search.SearchAssert;

namespace Keel.Core.Tests.Search;

public class ExperimentSearchParserTests
{
    private static IReadOnlyList<Comparison> Filter(string? filter) => SearchFilterParser.ParseExperimentFilter(filter);

    private static Comparison FilterOne(string filter) => Single(Filter(filter));

    private static IReadOnlyList<OrderBy> Order(params string[] items) => SearchFilterParser.ParseExperimentOrderBy(items);

    // ---- filter ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Empty_or_blank_filter_means_no_clauses(string? filter) => Assert.Empty(Filter(filter));

    [Theory]
    [InlineData("name = 'exp'", Comparator.Equal)]
    [InlineData("attribute.name != 'exp'", Comparator.NotEqual)]
    [InlineData("name LIKE 'exp'", Comparator.Like)]
    [InlineData("attribute.name ilike 'exp'", Comparator.ILike)]
    [InlineData("`name` = 'exp'", Comparator.Equal)]
    [InlineData("attribute.\"name\" = 'exp'", Comparator.Equal)]
    public void Name_accepts_string_comparators_with_or_without_attribute_prefix(string filter, Comparator op) =>
        Clause(FilterOne(filter), EntityKind.Attribute, "name", op, "exp");

    [Theory]
    [InlineData("creation_time > 100", "creation_time", Comparator.Greater)]
    [InlineData("attribute.creation_time <= 100", "creation_time", Comparator.LessOrEqual)]
    [InlineData("last_update_time = 100", "last_update_time", Comparator.Equal)]
    [InlineData("attribute.last_update_time != 100", "last_update_time", Comparator.NotEqual)]
    public void Time_attributes_accept_numeric_comparators(string filter, string key, Comparator op) =>
        Clause(FilterOne(filter), EntityKind.Attribute, key, op, 100.0);

    [Theory]
    [InlineData("tags.team = 'ml'", Comparator.Equal, "ml")]
    [InlineData("tag.team != 'ml'", Comparator.NotEqual, "ml")]
    [InlineData("tags.team LIKE '%ml%'", Comparator.Like, "%ml%")]
    [InlineData("tags.team ILIKE '%ML%'", Comparator.ILike, "%ML%")]
    [InlineData("tags.team IS NULL", Comparator.IsNull, null)]
    [InlineData("tags.team IS NOT NULL", Comparator.IsNotNull, null)]
    public void Tags_accept_string_and_null_comparators(string filter, Comparator op, string? value) =>
        Clause(FilterOne(filter), EntityKind.Tag, "team", op, value);

    [Fact]
    public void Backticked_tag_key_with_dots_parses() =>
        Clause(FilterOne("tags.`mlflow.note.content` LIKE '%x%'"), EntityKind.Tag, "mlflow.note.content", Comparator.Like, "%x%");

    [Fact]
    public void Clauses_join_with_and()
    {
        var clauses = Filter("name LIKE 'a%' and tags.team = 'ml' AND creation_time > 5");
        Assert.Equal(new[] { EntityKind.Attribute, EntityKind.Tag, EntityKind.Attribute }, clauses.Select(c => c.Kind));
    }

    [Theory]
    [InlineData("attributes.name = 'x'", "attributes")]
    [InlineData("attr.name = 'x'", "attr")]
    [InlineData("run.name = 'x'", "run")]
    [InlineData("metrics.acc > 1", "metrics")]
    [InlineData("params.p = 'x'", "params")]
    [InlineData("dataset.name = 'x'", "dataset")]
    [InlineData("Tags.x = 'x'", "Tags")]
    public void Prefixes_other_than_attribute_and_tag_are_rejected(string filter, string prefix) =>
        Invalid(() => Filter(filter), $"Invalid entity type '{prefix}'. Valid values are ['attribute', 'tag', 'tags']");

    [Theory]
    [InlineData("experiment_id = '1'", "experiment_id")]
    [InlineData("lifecycle_stage = 'active'", "lifecycle_stage")]
    [InlineData("artifact_location = 'x'", "artifact_location")]
    [InlineData("Name = 'x'", "Name")]
    public void Unknown_attributes_are_rejected(string filter, string key) =>
        Invalid(
            () => Filter(filter),
            $"Invalid attribute key '{key}' specified. Valid keys are '['name', 'creation_time', 'last_update_time']'");

    [Fact]
    public void Name_in_list_is_rejected() =>
        Invalid(() => Filter("name IN ('a')"), "The attribute 'name' does not support comparison with a list of values");

    [Theory]
    [InlineData("name > 'a'", ">", "['=', '!=', 'LIKE', 'ILIKE']")]
    [InlineData("name IS NULL", "IS NULL", "['=', '!=', 'LIKE', 'ILIKE']")]
    [InlineData("creation_time LIKE 1", "LIKE", "['=', '!=', '>', '>=', '<', '<=']")]
    [InlineData("last_update_time IS NOT NULL", "IS NOT NULL", "['=', '!=', '>', '>=', '<', '<=']")]
    public void Attributes_reject_comparators_of_the_other_type(string filter, string op, string valid) =>
        Invalid(() => Filter(filter), $"Invalid comparator '{op}' not one of '{valid}' for attribute");

    [Theory]
    [InlineData("tags.t > 'a'", ">")]
    [InlineData("tags.t IN ('a')", "IN")]
    public void Tags_reject_ordering_and_list_comparators(string filter, string op) =>
        Invalid(() => Filter(filter), $"Invalid comparator '{op}'", "for type 'tag'");

    [Theory]
    [InlineData("creation_time > '5'", "'5'")]
    [InlineData("last_update_time > abc", "abc")]
    public void Time_attributes_require_numbers(string filter, string raw) =>
        Invalid(() => Filter(filter), "Expected numeric value type for attribute", $"Found {raw}");

    [Theory]
    [InlineData("name = 5")]
    [InlineData("tags.t = 5")]
    public void Name_and_tags_require_quoted_strings(string filter) =>
        Invalid(() => Filter(filter), "Expected a quoted string value for", "Got value 5");

    [Fact]
    public void Or_is_rejected() =>
        Invalid(() => Filter("name = 'a' OR name = 'b'"), "'OR'");

    // ---- order_by ----------------------------------------------------------------------------------------

    [Fact]
    public void Null_order_by_is_empty() => Assert.Empty(SearchFilterParser.ParseExperimentOrderBy(null));

    [Theory]
    [InlineData("name", "name", true)]
    [InlineData("experiment_id DESC", "experiment_id", false)]
    [InlineData("creation_time desc", "creation_time", false)]
    [InlineData("last_update_time ASC", "last_update_time", true)]
    [InlineData("attribute.name DESC", "name", false)]
    [InlineData("`creation_time`", "creation_time", true)]
    public void Order_by_accepts_the_four_attribute_keys(string item, string key, bool ascending) =>
        Assert.Equal(new OrderBy(EntityKind.Attribute, key, ascending), Assert.Single(Order(item)));

    [Theory]
    [InlineData("tags.team")]
    [InlineData("tag.team DESC")]
    public void Tags_are_not_orderable(string item) =>
        Invalid(() => Order(item), "Invalid order_by entity: tag");

    [Theory]
    [InlineData("attributes.name")]
    [InlineData("metrics.acc")]
    public void Order_by_rejects_run_only_prefixes(string item) =>
        Invalid(() => Order(item), "Invalid entity type", "['attribute', 'tag', 'tags']");

    [Theory]
    [InlineData("lifecycle_stage")]
    [InlineData("start_time")]
    [InlineData("artifact_location DESC")]
    public void Order_by_rejects_other_attributes(string item) =>
        Invalid(() => Order(item), "Invalid attribute key", "['name', 'experiment_id', 'creation_time', 'last_update_time']");

    [Fact]
    public void Order_by_rejects_unknown_direction() =>
        Invalid(() => Order("name sideways"), "Invalid ordering key in order_by clause 'name sideways'.");

    [Fact]
    public void Duplicate_order_keys_pass_through_as_mlflow_allows() =>
        Assert.Equal(
            new[] { new OrderBy(EntityKind.Attribute, "name", true), new OrderBy(EntityKind.Attribute, "name", false) },
            Order("name", "attribute.name DESC"));

    [Fact]
    public void Experiment_id_tie_breaker_is_not_appended() =>
        Assert.Equal(new[] { new OrderBy(EntityKind.Attribute, "name", true) }, Order("name"));
}
