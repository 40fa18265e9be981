using System.Text;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Protocols;

namespace Keel.Serving.Tests.Protocols;

public sealed class MlflowScoringErrorTests(ServedModels models) : IClassFixture<ServedModels>
{
    private const string RequiredFormat =
        "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}.";

    private static readonly ModelSignature IrisColumns = new(new Schema([
        new ColumnSpec("sepal_length", "double"), new ColumnSpec("sepal_width", "double"),
        new ColumnSpec("petal_length", "double"), new ColumnSpec("petal_width", "double"),
    ]));

    private static KeelException Rejects(string json, ModelSignature? signature)
    {
        var error = Assert.Throws<KeelException>(() => MlflowScoringTests.Parse(json, signature));
        Assert.Equal(ErrorCode.BAD_REQUEST, error.Code);
        return error;
    }

    private static void Mentions(KeelException error, params string[] parts)
    {
        foreach (var part in parts)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_body_without_a_format_key_lists_the_fields_it_received()
    {
        var error = Rejects("""{"data": [[1]], "params": {}}""", null);

        Mentions(error, RequiredFormat, "Received dictionary with input fields: ['data', 'params']", "MLflow version 2.0");
    }

    [Fact]
    public void A_body_with_two_format_keys_is_rejected()
    {
        Mentions(Rejects("""{"inputs": [1], "instances": [1]}""", null), RequiredFormat, "['inputs', 'instances']");
    }

    [Fact]
    public void A_top_level_list_or_scalar_is_rejected()
    {
        Mentions(Rejects("[[1, 2]]", null), RequiredFormat, "a JSON list");
        Mentions(Rejects("\"text\"", null), RequiredFormat);
    }

    [Fact]
    public void Malformed_json_names_the_problem()
    {
        Mentions(Rejects("""{"inputs": [1, }""", null), "not valid JSON", "LineNumber");
        Mentions(Rejects("", null), "empty");
    }

    [Fact]
    public void A_non_numeric_string_for_a_double_column_names_the_column_type_row_and_value()
    {
        var error = Rejects("""{"dataframe_records": [{"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": 4}, {"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": "wide"}]}""", IrisColumns);

        Mentions(error, "column 'petal_width'", "expects double", "row 1", "\"wide\"");
    }

    [Fact]
    public void A_number_for_a_string_column_names_the_column()
    {
        var signature = new ModelSignature(new Schema([new ColumnSpec("city", "string")]));

        Mentions(Rejects("""{"inputs": {"city": ["Lyon", 42]}}""", signature), "column 'city'", "expects string", "row 1", "the number 42");
    }

    [Fact]
    public void A_fraction_for_a_long_column_names_the_column()
    {
        var signature = new ModelSignature(new Schema([new ColumnSpec("count", "long")]));

        Mentions(Rejects("""{"inputs": {"count": [1, 2.5]}}""", signature), "column 'count'", "expects long", "2.5");
    }

    [Fact]
    public void A_missing_signature_column_is_named()
    {
        var error = Rejects("""{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length"], "data": [[1, 2, 3]]}}""", IrisColumns);

        Mentions(error, "missing input column 'petal_width'");
    }

    [Fact]
    public void Columns_the_signature_does_not_have_are_named()
    {
        var error = Rejects("""{"dataframe_records": [{"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": 4, "species": 0}]}""", IrisColumns);

        Mentions(error, "'species'", "signature does not have");
    }

    [Fact]
    public void Iris_rows_of_the_wrong_width_name_the_input_and_its_shape()
    {
        Mentions(Rejects("""{"instances": [[1, 2, 3, 4], [1, 2, 3]]}""", models.Iris.Signature), "Input 'input'", "[-1, 4]", "row 1 has 3");
        Mentions(Rejects("""{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}}""", models.Iris.Signature), "Input 'input'", "[-1, 4]", "3 columns");
    }

    [Fact]
    public void Diabetes_without_one_of_its_named_inputs_names_it()
    {
        var records = """{"dataframe_records": [{"age": 0.1, "sex": 0.1, "bp": 0.1, "s1": 0.1, "s2": 0.1, "s3": 0.1, "s4": 0.1, "s5": 0.1, "s6": 0.1}]}""";

        Mentions(Rejects(records, models.Diabetes.Signature), "missing input 'bmi'");
    }

    [Fact]
    public void A_dataframe_split_row_of_the_wrong_length_is_named()
    {
        Mentions(Rejects("""{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}""", null), "row 1 has 1 value", "2 columns");
        Mentions(Rejects("""{"dataframe_split": {"data": [[1]], "orient": "split"}}""", null), "'orient'");
    }

    [Fact]
    public void Records_that_are_not_objects_and_params_that_are_not_a_dictionary_are_rejected()
    {
        Mentions(Rejects("""{"dataframe_records": [[1, 2]]}""", null), "'dataframe_records' row 0");
        Mentions(Rejects("""{"inputs": [1], "params": [1]}""", null), "'params'");
    }

    [Fact]
    public async Task A_csv_cell_that_is_not_a_number_names_its_column()
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes("sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,2,3,n/a\n"));

        var error = await Assert.ThrowsAsync<KeelException>(() => MlflowScoring.ParseCsvAsync(body, IrisColumns, CancellationToken.None));

        Assert.Equal(ErrorCode.BAD_REQUEST, error.Code);
        Mentions(error, "column 'petal_width'", "row 1", "\"n/a\"");
    }

    [Fact]
    public async Task A_csv_without_a_signature_column_names_it()
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes("sepal_length,sepal_width,petal_length\n1,2,3\n"));

        var error = await Assert.ThrowsAsync<KeelException>(() => MlflowScoring.ParseCsvAsync(body, IrisColumns, CancellationToken.None));

        Mentions(error, "missing input column 'petal_width'");
    }

    [Theory]
    [InlineData("application/json", ScoringContentType.Json)]
    [InlineData("application/json; charset=utf-8", ScoringContentType.Json)]
    [InlineData("text/csv", ScoringContentType.Csv)]
    [InlineData("text/csv; charset=UTF-8", ScoringContentType.Csv)]
    public void Json_and_csv_content_types_are_accepted(string contentType, ScoringContentType expected)
    {
        var check = MlflowScoring.CheckContentType(contentType);

        Assert.Equal(expected, check.Format);
        Assert.Null(check.Error);
    }

    [Fact]
    public void Another_charset_is_rejected_as_only_utf8()
    {
        var check = MlflowScoring.CheckContentType("application/json; charset=latin-1");

        Assert.False(check.IsAccepted);
        Assert.Equal("The scoring server only supports UTF-8", check.Error);
    }

    [Fact]
    public void A_legacy_format_parameter_gets_the_protocol_change_note()
    {
        var check = MlflowScoring.CheckContentType("application/json; format=pandas-split");

        Assert.StartsWith("Unrecognized content type parameters: format. IMPORTANT: The MLflow Model scoring protocol has changed", check.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain", "Got 'text/plain'.")]
    [InlineData(null, "Got 'None'.")]
    public void Other_media_types_are_rejected_listing_the_supported_ones(string? contentType, string got)
    {
        var check = MlflowScoring.CheckContentType(contentType);

        Assert.False(check.IsAccepted);
        Assert.Contains("only supports the following content types: Types: ['text/csv', 'application/json'].", check.Error, StringComparison.Ordinal);
        Assert.EndsWith(got, check.Error, StringComparison.Ordinal);
    }
}
