using Keel.Core.Search;
using static Keel.Core.Tests.Search.SearchAssert;

namespace Keel.Core.Tests.Search;

/// <summary>registered-models/search and model-versions/search (reference §5.4, §5.5).</summary>
public class RegistrySearchParserTests
{
    [Theory]
    [InlineData("name = 'iris'", Comparator.Equal)]
    [InlineData("attribute.name != 'iris'", Comparator.NotEqual)]
    [InlineData("name LIKE 'iris'", Comparator.Like)]
    [InlineData("name ILIKE 'iris'", Comparator.ILike)]
    public void Registered_model_names_take_string_comparators(string filter, Comparator op) =>
        Clause(Single(SearchFilterParser.ParseRegisteredModelFilter(filter)), EntityKind.Attribute, "name", op, "iris");

    [Theory]
    [InlineData("tags.team = 'ml'")]
    [InlineData("tag.team = 'ml'")]
    [InlineData("tags.`team` = 'ml'")]
    public void Registry_tags_are_filterable_under_tag_and_tags(string filter)
    {
        Clause(Single(SearchFilterParser.ParseRegisteredModelFilter(filter)), EntityKind.Tag, "team", Comparator.Equal, "ml");
        Clause(Single(SearchFilterParser.ParseModelVersionFilter(filter)), EntityKind.Tag, "team", Comparator.Equal, "ml");
    }

    [Theory]
    [InlineData("attributes.name = 'iris'", "attributes")]
    [InlineData("params.alpha = '1'", "params")]
    [InlineData("run_id = 'abc'", "run_id")]
    [InlineData("name IN ('a')", "IN")]
    [InlineData("creation_timestamp > 1", "creation_timestamp")]
    public void Registered_model_filters_refuse_what_mlflow_refuses(string filter, string named) =>
        Invalid(() => SearchFilterParser.ParseRegisteredModelFilter(filter), named);

    [Fact]
    public void Version_filters_cover_name_run_id_source_path_and_version_number()
    {
        var clauses = SearchFilterParser.ParseModelVersionFilter(
            "name = 'iris' AND run_id IN ('abc', 'ABC', '123') AND source_path LIKE 's3://%' AND version_number >= 3");
        Clause(clauses[0], EntityKind.Attribute, "name", Comparator.Equal, "iris");
        // IN keeps only values Python's str.islower() accepts, as for run ids in runs/search.
        Clause(clauses[1], EntityKind.Attribute, "run_id", Comparator.In, new[] { "abc" });
        Clause(clauses[2], EntityKind.Attribute, "source_path", Comparator.Like, "s3://%");
        Clause(clauses[3], EntityKind.Attribute, "version_number", Comparator.GreaterOrEqual, 3.0);
    }

    [Theory]
    [InlineData("run_id NOT IN ('abc')", "NOT IN")]
    [InlineData("version_number = '3'", "version_number")]
    [InlineData("source_path > 3", "source_path")]
    [InlineData("metrics.acc > 1", "metrics")]
    public void Version_filters_refuse_what_mlflow_refuses(string filter, string named) =>
        Invalid(() => SearchFilterParser.ParseModelVersionFilter(filter), named);

    [Fact]
    public void Registry_order_by_maps_timestamp_to_the_last_update_and_refuses_duplicates_and_tags()
    {
        Assert.Equal([new OrderBy(EntityKind.Attribute, "last_updated_timestamp", false)], SearchFilterParser.ParseRegisteredModelOrderBy(["timestamp DESC"]));
        Assert.Equal([new OrderBy(EntityKind.Attribute, "version_number", true)], SearchFilterParser.ParseModelVersionOrderBy(["version_number"]));
        Invalid(() => SearchFilterParser.ParseRegisteredModelOrderBy(["timestamp", "last_updated_timestamp DESC"]), "duplicate");
        Invalid(() => SearchFilterParser.ParseRegisteredModelOrderBy(["tags.team"]), "tag");
        Invalid(() => SearchFilterParser.ParseModelVersionOrderBy(["run_id"]), "run_id");
    }
}
