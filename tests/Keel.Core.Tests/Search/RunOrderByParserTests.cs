using Keel.Core.Search;
using static Keel.Core.Tests.Search.SearchAssert;

namespace Keel.Core.Tests.Search;

public class RunOrderByParserTests
{
    private static IReadOnlyList<OrderBy> Parse(params string[] items) => SearchFilterParser.ParseRunOrderBy(items);

    private static OrderBy ParseOne(string item) => Assert.Single(Parse(item));

    [Fact]
    public void Null_order_by_is_empty() => Assert.Empty(SearchFilterParser.ParseRunOrderBy(null));

    [Fact]
    public void Empty_order_by_is_empty_and_gets_no_tie_breakers() => Assert.Empty(Parse());

    [Theory]
    [InlineData("metrics.`my metric` DESC", EntityKind.Metric, "my metric", false)]
    [InlineData("metric.loss", EntityKind.Metric, "loss", true)]
    [InlineData("attributes.start_time", EntityKind.Attribute, "start_time", true)]
    [InlineData("params.alpha asc", EntityKind.Param, "alpha", true)]
    [InlineData("param.alpha Desc", EntityKind.Param, "alpha", false)]
    [InlineData("parameters.alpha ASC", EntityKind.Param, "alpha", true)]
    [InlineData("tags.\"a b\"", EntityKind.Tag, "a b", true)]
    [InlineData("tag.`mlflow.runName` DESC", EntityKind.Tag, "mlflow.runName", false)]
    [InlineData("tags.mlflow.runName", EntityKind.Tag, "mlflow.runName", true)]
    [InlineData("  metrics.acc   desc  ", EntityKind.Metric, "acc", false)]
    [InlineData("metrics.acc\tDESC", EntityKind.Metric, "acc", false)]
    [InlineData("`metrics`.acc", EntityKind.Metric, "acc", true)]
    [InlineData("tags.\"a b\"DESC", EntityKind.Tag, "a b", false)]
    public void Order_by_items_parse(string item, EntityKind kind, string key, bool ascending) =>
        Assert.Equal(new OrderBy(kind, key, ascending), ParseOne(item));

    [Theory]
    [InlineData("run_id", "run_id")]
    [InlineData("run_name", "run_name")]
    [InlineData("status", "status")]
    [InlineData("user_id", "user_id")]
    [InlineData("artifact_uri", "artifact_uri")]
    [InlineData("start_time", "start_time")]
    [InlineData("end_time", "end_time")]
    [InlineData("created", "start_time")]
    [InlineData("Created", "start_time")]
    [InlineData("attribute.created", "start_time")]
    [InlineData("attr.end_time", "end_time")]
    [InlineData("run.status", "status")]
    public void Orderable_attributes_parse_to_canonical_keys(string item, string key) =>
        Assert.Equal(new OrderBy(EntityKind.Attribute, key, false), ParseOne(item + " DESC"));

    [Theory]
    [InlineData("lifecycle_stage")]
    [InlineData("experiment_id")]
    [InlineData("\"run name\"")]
    [InlineData("`Run Name`")]
    [InlineData("name")]
    public void Attributes_mlflow_cannot_order_by_are_rejected(string item) =>
        Invalid(() => Parse(item), "Invalid attribute key", "Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'created', 'Created', 'end_time']'");

    [Theory]
    [InlineData("dataset.name")]
    [InlineData("datasets.digest DESC")]
    public void Datasets_are_not_orderable(string item) =>
        Invalid(() => Parse(item), "Invalid order_by entity: dataset", $"'{item}'");

    [Theory]
    [InlineData("Metrics.acc")]
    [InlineData("foo.acc")]
    public void Unknown_prefix_is_rejected(string item) =>
        Invalid(() => Parse(item), "Invalid entity type", "['metric', 'parameter', 'tag', 'attribute', 'dataset']");

    [Theory]
    [InlineData("metrics.acc DESCENDING")]
    [InlineData("metrics.acc up")]
    [InlineData("metrics.acc ASCDESC")]
    public void Unknown_direction_is_rejected(string item) =>
        Invalid(() => Parse(item), $"Invalid ordering key in order_by clause '{item}'.");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("metrics.acc DESC extra")]
    [InlineData("metrics.acc DESC,")]
    [InlineData("metrics.acc, metrics.loss")]
    [InlineData("metrics.acc - 1")]
    [InlineData("-metrics.acc")]
    [InlineData("'metrics.acc'")]
    [InlineData("(metrics.acc)")]
    public void Unparseable_items_are_rejected(string item) =>
        Invalid(() => Parse(item), $"Invalid order_by clause '{item}'. Could not be parsed.");

    [Fact]
    public void Null_item_is_rejected() =>
        Invalid(() => SearchFilterParser.ParseRunOrderBy([null!]), "Invalid order_by clause ''. Could not be parsed.");

    [Fact]
    public void Empty_quoted_key_is_rejected() =>
        Invalid(() => Parse("metrics.``"), "the metric key is empty");

    [Fact]
    public void Unterminated_quote_is_rejected() =>
        Invalid(() => Parse("metrics.`acc DESC"), "Error on parsing order_by clause 'metrics.`acc DESC'", "unterminated");

    [Fact]
    public void Several_items_keep_their_order()
    {
        var parsed = Parse("metrics.acc DESC", "params.lr", "attributes.end_time ASC", "tags.team desc");
        Assert.Equal(
            new[]
            {
                new OrderBy(EntityKind.Metric, "acc", false),
                new OrderBy(EntityKind.Param, "lr", true),
                new OrderBy(EntityKind.Attribute, "end_time", true),
                new OrderBy(EntityKind.Tag, "team", false),
            },
            parsed);
    }

    [Fact]
    public void Tie_breakers_are_not_appended() =>
        Assert.Equal(new[] { new OrderBy(EntityKind.Metric, "acc", true) }, Parse("metrics.acc"));

    [Theory]
    [InlineData("metrics.acc", "metrics.acc DESC")]
    [InlineData("metric.acc", "metrics.acc")]
    [InlineData("params.p", "parameter.p DESC")]
    [InlineData("start_time", "created")]
    [InlineData("Created DESC", "attributes.start_time")]
    [InlineData("tags.`a b`", "tags.\"a b\"")]
    public void Duplicate_fields_are_rejected_after_alias_resolution(string first, string second) =>
        Invalid(() => Parse(first, second), "`order_by` contains duplicate fields:", $"'{first}'", $"'{second}'");

    [Fact]
    public void Same_key_under_different_kinds_is_not_a_duplicate() =>
        Assert.Equal(3, Parse("metrics.x", "params.x", "tags.x").Count);
}
