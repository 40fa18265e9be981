using Keel.Core.Search;
using static Keel.Core.Tests.Search.SearchAssert;

namespace Keel.Core.Tests.Search;

public class RunFilterParserTests
{
    private static IReadOnlyList<Comparison> Parse(string? filter) => SearchFilterParser.ParseRunFilter(filter);

    private static Comparison ParseOne(string filter) => Single(Parse(filter));

    // ---- empty input -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n ")]
    public void Empty_or_blank_filter_means_no_clauses(string? filter) => Assert.Empty(Parse(filter));

    // ---- prefixes and keys -------------------------------------------------------------------------------

    [Theory]
    [InlineData("metric.acc > 0.5")]
    [InlineData("metrics.acc > 0.5")]
    public void Metric_prefix_aliases_parse(string filter) =>
        Clause(ParseOne(filter), EntityKind.Metric, "acc", Comparator.Greater, 0.5);

    [Theory]
    [InlineData("param.alpha = '0.1'")]
    [InlineData("params.alpha = '0.1'")]
    [InlineData("parameter.alpha = '0.1'")]
    [InlineData("parameters.alpha = '0.1'")]
    public void Param_prefix_aliases_parse(string filter) =>
        Clause(ParseOne(filter), EntityKind.Param, "alpha", Comparator.Equal, "0.1");

    [Theory]
    [InlineData("tag.team = 'ml'")]
    [InlineData("tags.team = 'ml'")]
    public void Tag_prefix_aliases_parse(string filter) =>
        Clause(ParseOne(filter), EntityKind.Tag, "team", Comparator.Equal, "ml");

    [Theory]
    [InlineData("attribute.status = 'FINISHED'")]
    [InlineData("attributes.status = 'FINISHED'")]
    [InlineData("attr.status = 'FINISHED'")]
    [InlineData("run.status = 'FINISHED'")]
    [InlineData("status = 'FINISHED'")]
    public void Attribute_prefix_aliases_and_no_prefix_parse_as_attribute(string filter) =>
        Clause(ParseOne(filter), EntityKind.Attribute, "status", Comparator.Equal, "FINISHED");

    [Theory]
    [InlineData("dataset.name = 'train'")]
    [InlineData("datasets.name = 'train'")]
    public void Dataset_prefix_aliases_parse(string filter) =>
        Clause(ParseOne(filter), EntityKind.Dataset, "name", Comparator.Equal, "train");

    [Fact]
    public void Backticked_metric_key_with_spaces_parses() =>
        Clause(ParseOne("metrics.`my metric` >= 1"), EntityKind.Metric, "my metric", Comparator.GreaterOrEqual, 1.0);

    [Fact]
    public void Double_quoted_tag_key_with_spaces_parses() =>
        Clause(ParseOne("tags.\"a b\" = 'x'"), EntityKind.Tag, "a b", Comparator.Equal, "x");

    [Fact]
    public void Bare_key_keeps_every_dot_after_the_first() =>
        Clause(ParseOne("tags.mlflow.runName = 'r1'"), EntityKind.Tag, "mlflow.runName", Comparator.Equal, "r1");

    [Fact]
    public void Quoted_key_may_contain_dots() =>
        Clause(ParseOne("tags.`mlflow.source.type` = 'LOCAL'"), EntityKind.Tag, "mlflow.source.type", Comparator.Equal, "LOCAL");

    [Fact]
    public void Double_quoted_key_may_contain_dots_and_dashes() =>
        Clause(ParseOne("params.\"lr-schedule.v2\" = 'cos'"), EntityKind.Param, "lr-schedule.v2", Comparator.Equal, "cos");

    [Fact]
    public void Backticked_prefix_is_accepted() =>
        Clause(ParseOne("`metrics`.loss < 2"), EntityKind.Metric, "loss", Comparator.Less, 2.0);

    [Fact]
    public void Quoted_key_keeps_doubled_quote_verbatim() =>
        Clause(ParseOne("tags.\"say \"\"hi\"\"\" = 'x'"), EntityKind.Tag, "say \"\"hi\"\"", Comparator.Equal, "x");

    [Fact]
    public void Unicode_letters_are_bare_key_characters() =>
        Clause(ParseOne("params.größe = 'L'"), EntityKind.Param, "größe", Comparator.Equal, "L");

    [Theory]
    [InlineData("Metrics.acc > 1", "Metrics")]
    [InlineData("METRICS.acc > 1", "METRICS")]
    [InlineData("metricz.acc > 1", "metricz")]
    [InlineData("foo.bar = 'x'", "foo")]
    [InlineData("`foo`.bar = 'x'", "foo")]
    public void Unknown_or_miscased_prefix_is_rejected_and_named(string filter, string prefix) =>
        Invalid(
            () => Parse(filter),
            $"Invalid entity type '{prefix}'",
            "['metric', 'parameter', 'tag', 'attribute', 'dataset']");

    [Theory]
    [InlineData("metrics.`` > 1", "metric")]
    [InlineData("params.\"\" = 'x'", "parameter")]
    [InlineData("tags.`` = 'x'", "tag")]
    public void Empty_quoted_key_is_rejected(string filter, string noun) =>
        Invalid(() => Parse(filter), $"the {noun} key is empty");

    [Theory]
    [InlineData("metrics. > 1", "metrics.")]
    [InlineData("metrics.-x > 1", "metrics.")]
    [InlineData("tags.'x' = 'y'", "tags.")]
    public void Prefix_without_a_key_is_rejected(string filter, string prefix) =>
        Invalid(() => Parse(filter), "Error on parsing filter", $"expected a key after '{prefix}'");

    [Fact]
    public void Key_with_unquoted_dash_is_rejected_with_a_quoting_hint() =>
        Invalid(() => Parse("metrics.val-loss > 1"), "expected a comparator after 'metrics.val'", "backticks or double quotes");

    [Fact]
    public void Unterminated_backticked_key_is_rejected() =>
        Invalid(() => Parse("metrics.`loss > 1"), "Error on parsing filter 'metrics.`loss > 1'", "unterminated ` quote");

    [Fact]
    public void Unterminated_double_quoted_key_is_rejected() =>
        Invalid(() => Parse("tags.\"loss = 'x'"), "unterminated \" quote");

    // ---- attributes --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("run_id = 'abc'", "run_id")]
    [InlineData("run_name = 'abc'", "run_name")]
    [InlineData("`run name` = 'abc'", "run_name")]
    [InlineData("\"run name\" = 'abc'", "run_name")]
    [InlineData("\"Run name\" = 'abc'", "run_name")]
    [InlineData("\"Run Name\" = 'abc'", "run_name")]
    [InlineData("attributes.`Run Name` = 'abc'", "run_name")]
    [InlineData("status = 'abc'", "status")]
    [InlineData("user_id = 'abc'", "user_id")]
    [InlineData("artifact_uri = 'abc'", "artifact_uri")]
    public void String_attributes_parse_to_canonical_keys(string filter, string key) =>
        Clause(ParseOne(filter), EntityKind.Attribute, key, Comparator.Equal, "abc");

    [Theory]
    [InlineData("start_time > 5", "start_time")]
    [InlineData("end_time > 5", "end_time")]
    [InlineData("created > 5", "start_time")]
    [InlineData("Created > 5", "start_time")]
    [InlineData("attributes.created > 5", "start_time")]
    public void Numeric_attributes_parse_to_canonical_keys(string filter, string key) =>
        Clause(ParseOne(filter), EntityKind.Attribute, key, Comparator.Greater, 5.0);

    [Theory]
    [InlineData("lifecycle_stage = 'active'", "lifecycle_stage")]
    [InlineData("experiment_id = '1'", "experiment_id")]
    [InlineData("CREATED > 1", "CREATED")]
    [InlineData("Run_Name = 'x'", "Run_Name")]
    [InlineData("attributes.name = 'x'", "name")]
    [InlineData("`run  name` = 'x'", "run  name")]
    public void Unknown_attribute_is_rejected_and_valid_keys_listed(string filter, string key) =>
        Invalid(
            () => Parse(filter),
            $"Invalid attribute key '{key}' specified. Valid keys are",
            "'run_id'",
            "'run name'",
            "'created'");

    [Theory]
    [InlineData("run_id LIKE 'ab%'", Comparator.Like)]
    [InlineData("run_id ILIKE 'AB%'", Comparator.ILike)]
    [InlineData("run_id != 'ab'", Comparator.NotEqual)]
    public void Run_id_accepts_string_comparators(string filter, Comparator op) =>
        Assert.Equal(op, ParseOne(filter).Op);

    [Fact]
    public void Run_id_in_list_parses() =>
        Clause(ParseOne("attributes.run_id IN ('a1', 'b2')"), EntityKind.Attribute, "run_id", Comparator.In, new[] { "a1", "b2" });

    [Fact]
    public void Run_id_not_in_list_parses() =>
        Clause(ParseOne("run_id NOT IN ('a1')"), EntityKind.Attribute, "run_id", Comparator.NotIn, new[] { "a1" });

    [Fact]
    public void Run_id_in_drops_values_that_are_not_python_lowercase() =>
        Clause(
            ParseOne("run_id IN ('abc', 'ABC', 'aBc', '123', 'a1-b2', '', 'éa')"),
            EntityKind.Attribute,
            "run_id",
            Comparator.In,
            new[] { "abc", "a1-b2", "éa" });

    [Fact]
    public void Run_id_in_with_only_uppercase_values_becomes_an_empty_in() =>
        Clause(ParseOne("run_id IN ('ABC', '42')"), EntityKind.Attribute, "run_id", Comparator.In, Array.Empty<string>());

    [Fact]
    public void Run_id_not_in_also_drops_non_lowercase_values() =>
        Clause(ParseOne("run_id NOT IN ('ABC')"), EntityKind.Attribute, "run_id", Comparator.NotIn, Array.Empty<string>());

    [Theory]
    [InlineData("run_id IN ('a','b')")]
    [InlineData("run_id IN(  'a' ,'b'  )")]
    [InlineData("run_id in ('a', 'b')")]
    [InlineData("run_id   NOT\tIN ('a', 'b')")]
    [InlineData("run_id not in ('a', 'b')")]
    public void In_lists_tolerate_spacing_and_keyword_case(string filter) =>
        Assert.Equal(new[] { "a", "b" }, Assert.IsAssignableFrom<IReadOnlyList<string>>(ParseOne(filter).Value));

    [Fact]
    public void In_list_values_are_kept_verbatim() =>
        Assert.Equal(
            new[] { "a,b", "c d", "it''s" },
            Assert.IsAssignableFrom<IReadOnlyList<string>>(ParseOne("run_id IN ('a,b', 'c d', 'it''s')").Value));

    [Theory]
    [InlineData("status IN ('a')")]
    [InlineData("status NOT IN ('a')")]
    [InlineData("run_name IN ('a')")]
    [InlineData("user_id IN ('a')")]
    [InlineData("artifact_uri NOT IN ('a')")]
    public void In_lists_on_attributes_other_than_run_id_are_rejected(string filter) =>
        Invalid(() => Parse(filter), "Only the 'run_id' attribute supports comparison with a list of quoted string values.");

    [Theory]
    [InlineData("status > 'a'", ">")]
    [InlineData("run_name <= 'a'", "<=")]
    public void Ordering_comparators_on_string_attributes_are_rejected(string filter, string op) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}' not one of '['=', '!=', 'LIKE', 'ILIKE']' for attribute");

    [Theory]
    [InlineData("start_time LIKE 5", "LIKE")]
    [InlineData("end_time ILIKE 5", "ILIKE")]
    [InlineData("created IN ('1')", "IN")]
    public void String_comparators_on_numeric_attributes_are_rejected(string filter, string op) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}' not one of '['=', '!=', '>', '>=', '<', '<=']'");

    [Theory]
    [InlineData("start_time = '5'", "start_time", "'5'")]
    [InlineData("created = \"5\"", "created", "\"5\"")]
    [InlineData("end_time = now", "end_time", "now")]
    public void Numeric_attributes_require_unquoted_numbers(string filter, string key, string raw) =>
        Invalid(() => Parse(filter), $"Expected numeric value type for attribute '{key}'. Found {raw}");

    [Theory]
    [InlineData("status = 5", "5")]
    [InlineData("run_id = -1.5", "-1.5")]
    public void String_attributes_require_quoted_values(string filter, string raw) =>
        Invalid(() => Parse(filter), "Expected a quoted string value for attribute", $"Got value {raw}");

    [Fact]
    public void Decimal_value_on_time_attribute_is_kept_as_a_double() =>
        Clause(ParseOne("start_time >= 1.5"), EntityKind.Attribute, "start_time", Comparator.GreaterOrEqual, 1.5);

    [Fact]
    public void Millisecond_timestamps_survive_exactly() =>
        Assert.Equal(1_717_171_717_171d, ParseOne("attributes.start_time > 1717171717171").Value);

    // ---- metrics -----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("metrics.m = 1", Comparator.Equal)]
    [InlineData("metrics.m != 1", Comparator.NotEqual)]
    [InlineData("metrics.m > 1", Comparator.Greater)]
    [InlineData("metrics.m >= 1", Comparator.GreaterOrEqual)]
    [InlineData("metrics.m < 1", Comparator.Less)]
    [InlineData("metrics.m <= 1", Comparator.LessOrEqual)]
    [InlineData("metrics.m<=1", Comparator.LessOrEqual)]
    public void Metrics_accept_every_numeric_comparator(string filter, Comparator op) =>
        Clause(ParseOne(filter), EntityKind.Metric, "m", op, 1.0);

    [Theory]
    [InlineData("0", 0d)]
    [InlineData("42", 42d)]
    [InlineData("-3", -3d)]
    [InlineData("0.25", 0.25)]
    [InlineData("-0.25", -0.25)]
    [InlineData(".5", 0.5)]
    [InlineData("-.5", -0.5)]
    [InlineData("5.", 5d)]
    [InlineData("1e3", 1000d)]
    [InlineData("1E3", 1000d)]
    [InlineData("2.5e-3", 0.0025)]
    [InlineData("-1.5E-2", -0.015)]
    public void Metric_values_accept_integer_decimal_negative_and_scientific_numbers(string literal, double expected) =>
        Assert.Equal(expected, ParseOne($"metrics.m > {literal}").Value);

    [Theory]
    [InlineData("metrics.m > '1'", "'1'")]
    [InlineData("metrics.m > \"1\"", "\"1\"")]
    [InlineData("metrics.m > abc", "abc")]
    [InlineData("metrics.m > +1", "+1")]
    [InlineData("metrics.m > 0x1F", "0x1F")]
    [InlineData("metrics.m > 1abc", "1abc")]
    [InlineData("metrics.m > 1.2.3", "1.2.3")]
    [InlineData("metrics.m > NaN", "NaN")]
    [InlineData("metrics.m > `1`", "`1`")]
    [InlineData("metrics.m > 1e+3", "1e+3")]
    public void Metrics_reject_anything_but_an_unquoted_number(string filter, string raw) =>
        Invalid(() => Parse(filter), $"Expected numeric value type for metric. Found {raw}");

    [Theory]
    [InlineData("metrics.m LIKE 1", "LIKE")]
    [InlineData("metrics.m ILIKE 1", "ILIKE")]
    [InlineData("metrics.m IN ('1')", "IN")]
    [InlineData("metrics.m NOT IN ('1')", "NOT IN")]
    [InlineData("metrics.m IS NULL", "IS NULL")]
    [InlineData("metrics.m IS NOT NULL", "IS NOT NULL")]
    public void Metrics_reject_non_numeric_comparators(string filter, string op) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}' not one of '['=', '!=', '>', '>=', '<', '<=']' for type 'metric'");

    [Fact]
    public void Metric_list_value_is_rejected() =>
        Invalid(() => Parse("metrics.m = ('1')"), "Comparator '=' does not take a list value", "use IN or NOT IN");

    // ---- params and tags ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("params.p = 'v'", Comparator.Equal)]
    [InlineData("params.p != 'v'", Comparator.NotEqual)]
    [InlineData("params.p LIKE 'v'", Comparator.Like)]
    [InlineData("params.p like 'v'", Comparator.Like)]
    [InlineData("params.p ILIKE 'v'", Comparator.ILike)]
    [InlineData("params.p iLike 'v'", Comparator.ILike)]
    [InlineData("tags.p = 'v'", Comparator.Equal)]
    [InlineData("tags.p != 'v'", Comparator.NotEqual)]
    [InlineData("tags.p LIKE 'v'", Comparator.Like)]
    [InlineData("tags.p ILIKE 'v'", Comparator.ILike)]
    public void Params_and_tags_accept_string_comparators_in_any_case(string filter, Comparator op) =>
        Assert.Equal(op, ParseOne(filter).Op);

    [Theory]
    [InlineData("params.p IS NULL", EntityKind.Param, Comparator.IsNull)]
    [InlineData("params.p is null", EntityKind.Param, Comparator.IsNull)]
    [InlineData("params.p IS NOT NULL", EntityKind.Param, Comparator.IsNotNull)]
    [InlineData("params.p Is  Not\tNull", EntityKind.Param, Comparator.IsNotNull)]
    [InlineData("tags.p IS NULL", EntityKind.Tag, Comparator.IsNull)]
    [InlineData("tags.`a b` IS NOT NULL", EntityKind.Tag, Comparator.IsNotNull)]
    public void Params_and_tags_accept_is_null_and_is_not_null(string filter, EntityKind kind, Comparator op)
    {
        var clause = ParseOne(filter);
        Assert.Equal(kind, clause.Kind);
        Assert.Equal(op, clause.Op);
        Assert.Null(clause.Value);
    }

    [Fact]
    public void Is_null_combines_with_other_clauses() =>
        Assert.Equal(
            new[] { Comparator.Equal, Comparator.IsNull, Comparator.Greater },
            Parse("tags.status = 'prod' AND params.batch_size IS NULL AND metrics.acc > 0.9").Select(c => c.Op));

    [Theory]
    [InlineData("end_time IS NULL", "IS NULL", "attribute 'end_time'")]
    [InlineData("run_name IS NOT NULL", "IS NOT NULL", "attribute 'run_name'")]
    [InlineData("user_id IS NULL", "IS NULL", "attribute 'user_id'")]
    [InlineData("dataset.name IS NULL", "IS NULL", "dataset 'name'")]
    public void Is_null_on_attributes_and_datasets_is_rejected_as_mlflow_does(string filter, string op, string subject) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}'", $"for {subject}");

    [Theory]
    [InlineData("params.p IS 'x'", "IS")]
    [InlineData("params.p IS NOT 'x'", "IS NOT")]
    [InlineData("params.p IS EMPTY", "IS EMPTY")]
    [InlineData("params.p NOT LIKE 'x'", "NOT LIKE")]
    [InlineData("params.p NOT 'x'", "NOT")]
    [InlineData("params.p BETWEEN 'a'", "BETWEEN")]
    [InlineData("params.p == 'x'", "==")]
    [InlineData("params.p <> 'x'", "<>")]
    [InlineData("params.p =! 'x'", "=!")]
    [InlineData("params.p ~ 'x'", "~")]
    public void Unknown_comparators_are_rejected_and_named(string filter, string op) =>
        Invalid(
            () => Parse(filter),
            $"Invalid comparator '{op}' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']' for type 'parameter'");

    [Theory]
    [InlineData("params.p > 'x'", ">", "parameter")]
    [InlineData("params.p >= 'x'", ">=", "parameter")]
    [InlineData("tags.t < 'x'", "<", "tag")]
    [InlineData("tags.t <= 'x'", "<=", "tag")]
    [InlineData("params.p IN ('x')", "IN", "parameter")]
    [InlineData("tags.t NOT IN ('x')", "NOT IN", "tag")]
    public void Params_and_tags_reject_numeric_and_list_comparators(string filter, string op, string noun) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']' for type '{noun}'");

    [Theory]
    [InlineData("params.p = 5", "parameter", "5")]
    [InlineData("tags.t = -1.5", "tag", "-1.5")]
    public void Params_and_tags_reject_numbers(string filter, string noun, string raw) =>
        Invalid(() => Parse(filter), $"Expected a quoted string value for {noun} (e.g. 'my-value'). Got value {raw}");

    [Theory]
    [InlineData("params.p = abc", "abc")]
    [InlineData("tags.t = `abc`", "`abc`")]
    public void Params_and_tags_reject_unquoted_words(string filter, string raw) =>
        Invalid(
            () => Parse(filter),
            $"Parameter value is either not quoted or unidentified quote types used for string value {raw}. Use either single or double quotes.");

    [Fact]
    public void Comparing_a_tag_to_bare_null_suggests_is_null() =>
        Invalid(() => Parse("tags.t = NULL"), "To match a missing key, use IS NULL.");

    [Fact]
    public void Missing_value_is_rejected() =>
        Invalid(() => Parse("params.p ="), "Error on parsing filter 'params.p ='", "expected a value after 'params.p ='");

    [Fact]
    public void Missing_comparator_is_rejected() =>
        Invalid(() => Parse("params.p"), "expected a comparator after 'params.p'");

    // ---- string values -----------------------------------------------------------------------------------

    [Theory]
    [InlineData("tags.t = 'hello world'", "hello world")]
    [InlineData("tags.t = \"hello world\"", "hello world")]
    [InlineData("tags.t = ''", "")]
    [InlineData("tags.t = \"\"", "")]
    [InlineData("tags.t = 'it''s'", "it''s")]
    [InlineData("tags.t = 'a\\'b'", "a\\'b")]
    [InlineData("tags.t = 'C:\\dir\\'", "C:\\dir\\")]
    [InlineData("tags.t = \"say \"\"hi\"\"\"", "say \"\"hi\"\"")]
    [InlineData("tags.t = 'has \"double\" quotes'", "has \"double\" quotes")]
    [InlineData("tags.t = \"has 'single' quotes\"", "has 'single' quotes")]
    [InlineData("tags.t = 'AND x = 1'", "AND x = 1")]
    [InlineData("tags.t = '%_%'", "%_%")]
    [InlineData("tags.t = 'line\nbreak'", "line\nbreak")]
    [InlineData("tags.t = 'ünïcødé 🚀'", "ünïcødé 🚀")]
    public void Quoted_values_are_kept_verbatim_without_escape_processing(string filter, string expected) =>
        Assert.Equal(expected, ParseOne(filter).Value);

    [Fact]
    public void Unterminated_string_value_is_rejected() =>
        Invalid(() => Parse("tags.t = 'abc"), "Error on parsing filter", "unterminated ' quote starting at position 9");

    // ---- IN lists ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("run_id IN ()")]
    [InlineData("run_id IN (   )")]
    public void Empty_in_list_is_rejected(string filter) =>
        Invalid(() => Parse(filter), "expected a non-empty list of string values, but got empty list");

    [Theory]
    [InlineData("run_id IN ('a',)", "('a',)")]
    [InlineData("run_id IN ('a' 'b')", "('a' 'b')")]
    [InlineData("run_id IN (\"a\", \"b\")", "(\"a\", \"b\")")]
    [InlineData("run_id IN (1, 2)", "(1, 2)")]
    [InlineData("run_id IN (a)", "(a)")]
    [InlineData("run_id IN ('a', 'b'", "('a', 'b'")]
    [InlineData("run_id IN ('a';'b')", "('a';'b')")]
    public void Ill_formed_in_list_is_rejected(string filter, string list) =>
        Invalid(() => Parse(filter), $"ill-formed list: {list}");

    [Theory]
    [InlineData("run_id IN 'a'", "IN", "'a'")]
    [InlineData("run_id NOT IN 'a'", "NOT IN", "'a'")]
    [InlineData("dataset.name IN abc", "IN", "abc")]
    public void In_without_a_list_is_rejected(string filter, string op, string raw) =>
        Invalid(() => Parse(filter), $"Expected a list of quoted string values for '{op}'", $"Got value {raw}");

    [Fact]
    public void Equality_with_a_list_is_rejected() =>
        Invalid(() => Parse("run_id = ('a', 'b')"), "Comparator '=' does not take a list value. Got value ('a', 'b')");

    // ---- datasets ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("dataset.name = 'x'", "name", Comparator.Equal)]
    [InlineData("dataset.digest != 'x'", "digest", Comparator.NotEqual)]
    [InlineData("dataset.context LIKE 'x'", "context", Comparator.Like)]
    [InlineData("datasets.context ILIKE 'x'", "context", Comparator.ILike)]
    public void Dataset_keys_accept_string_comparators(string filter, string key, Comparator op) =>
        Clause(ParseOne(filter), EntityKind.Dataset, key, op, "x");

    [Fact]
    public void Dataset_in_list_drops_non_lowercase_values_like_mlflow() =>
        Clause(
            ParseOne("dataset.name IN ('train', 'Eval', 'test')"),
            EntityKind.Dataset,
            "name",
            Comparator.In,
            new[] { "train", "test" });

    [Fact]
    public void Dataset_not_in_list_parses() =>
        Clause(ParseOne("dataset.digest NOT IN ('abc')"), EntityKind.Dataset, "digest", Comparator.NotIn, new[] { "abc" });

    [Theory]
    [InlineData("dataset.profile = 'x'", "profile")]
    [InlineData("dataset.Name = 'x'", "Name")]
    [InlineData("dataset.source = 'x'", "source")]
    public void Unknown_dataset_key_is_rejected(string filter, string key) =>
        Invalid(() => Parse(filter), $"Invalid dataset key '{key}' specified. Valid keys are '['name', 'digest', 'context']'");

    [Theory]
    [InlineData("dataset.name > 'x'", ">")]
    [InlineData("dataset.name < 'x'", "<")]
    public void Dataset_rejects_ordering_comparators(string filter, string op) =>
        Invalid(() => Parse(filter), $"Invalid comparator '{op}' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']' for dataset 'name'");

    [Fact]
    public void Dataset_rejects_numbers() =>
        Invalid(() => Parse("dataset.digest = 5"), "Expected a quoted string value for dataset 'digest'");

    // ---- AND and unsupported syntax ----------------------------------------------------------------------

    [Fact]
    public void Clauses_joined_with_and_keep_their_order()
    {
        var clauses = Parse("metrics.acc > 0.9 AND params.model = 'cnn' AND tags.`team name` != 'x' AND attributes.status = 'FINISHED'");
        Assert.Equal(4, clauses.Count);
        Clause(clauses[0], EntityKind.Metric, "acc", Comparator.Greater, 0.9);
        Clause(clauses[1], EntityKind.Param, "model", Comparator.Equal, "cnn");
        Clause(clauses[2], EntityKind.Tag, "team name", Comparator.NotEqual, "x");
        Clause(clauses[3], EntityKind.Attribute, "status", Comparator.Equal, "FINISHED");
    }

    [Theory]
    [InlineData("metrics.a > 1 and metrics.b < 2")]
    [InlineData("metrics.a > 1 And metrics.b < 2")]
    [InlineData("metrics.a > 1\nAND\tmetrics.b < 2")]
    [InlineData("  metrics.a > 1 AND metrics.b < 2  ")]
    [InlineData("metrics.a>1 AND metrics.b<2")]
    public void And_is_case_insensitive_and_whitespace_tolerant(string filter) =>
        Assert.Equal(2, Parse(filter).Count);

    [Fact]
    public void And_may_follow_a_quoted_value_without_a_space() =>
        Assert.Equal(2, Parse("params.a = 'x'AND params.b = 'y'").Count);

    [Fact]
    public void Same_key_may_appear_in_several_clauses() =>
        Assert.Equal(2, Parse("metrics.a > 1 AND metrics.a < 5").Count);

    [Theory]
    [InlineData("metrics.a > 1 OR metrics.b < 2")]
    [InlineData("metrics.a > 1 or metrics.b < 2")]
    public void Or_is_rejected(string filter) =>
        Invalid(() => Parse(filter), "Invalid clause(s) in filter string: 'OR'", "only AND");

    [Theory]
    [InlineData("(metrics.a > 1)")]
    [InlineData("metrics.a > 1 AND (metrics.b < 2)")]
    [InlineData("metrics.a > 1)")]
    public void Parentheses_are_rejected(string filter) =>
        Invalid(() => Parse(filter), "Parentheses are not supported");

    [Theory]
    [InlineData("NOT metrics.a > 1", "NOT")]
    [InlineData("OR metrics.a > 1", "OR")]
    [InlineData("AND metrics.a > 1", "AND")]
    [InlineData("metrics.a > 1 AND AND metrics.b < 2", "AND")]
    public void Clause_starting_with_a_keyword_is_rejected(string filter, string keyword) =>
        Invalid(() => Parse(filter), $"Invalid clause(s) in filter string: '{keyword}'");

    [Fact]
    public void Trailing_and_is_rejected() =>
        Invalid(() => Parse("metrics.a > 1 AND "), "expected a clause after the last 'AND'");

    [Fact]
    public void Clauses_without_and_between_them_are_rejected() =>
        Invalid(() => Parse("metrics.a > 1 metrics.b < 2"), "Invalid clause(s) in filter string: 'metrics.b < 2'", "joined with AND");

    [Theory]
    [InlineData("metrics.a > 1; metrics.b < 2")]
    [InlineData("metrics.a > 1;")]
    public void Semicolons_are_rejected_as_multiple_expressions(string filter) =>
        Invalid(() => Parse(filter), "Search filter contained multiple expression", "Provide AND-ed expression list.");

    [Theory]
    [InlineData("= 'x'")]
    [InlineData("'x' = tags.a")]
    [InlineData("-1 < metrics.a")]
    public void Clause_not_starting_with_an_identifier_is_rejected(string filter) =>
        Invalid(() => Parse(filter), "Invalid clause(s) in filter string");

    [Fact]
    public void Identifier_named_like_a_keyword_prefix_is_still_an_identifier() =>
        Invalid(() => Parse("and.x = 'y'"), "Invalid entity type 'and'");

    [Fact]
    public void Error_message_quotes_the_whole_filter_for_lexical_errors() =>
        Invalid(() => Parse("params.p = 'x' AND tags.t = 'y"), "Error on parsing filter 'params.p = 'x' AND tags.t = 'y'");
}
