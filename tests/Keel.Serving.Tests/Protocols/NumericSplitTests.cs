using System.Text;
using Keel.Serving.Models;
using Keel.Serving.Protocols;
using Keel.Tabular;

namespace Keel.Serving.Tests.Protocols;

/// <summary>The one-pass reader of the common body must build what the general parser builds, and leave everything else to it.</summary>
public sealed class NumericSplitTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static readonly ModelSignature Named = new(new Schema([
        new ColumnSpec("a", "double"), new ColumnSpec("b", "float"), new ColumnSpec("c", "double")]));

    private static readonly ModelSignature Stacked = new(new Schema([new TensorSpec("input", "float32", [-1, 3])]));

    public static TheoryData<string, string> Common => new()
    {
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2.5, -3e2], [0.1, 5.1, 7]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["c", "a", "b"], "index": [4, 5], "data": [[1, 2, 3]]}}""" },
        { "named", """ { "dataframe_split" : { "index": null, "columns": ["b", "c", "a"], "data": [[1.000000001, 1e-300, 123456789012345678]] } } """ },
        { "stacked", """{"dataframe_split": {"columns": ["x", "y", "z"], "data": [[5.1, 3.5, 1.4], [6.2, 2.9, 4.3], [7, 8, 9]]}}""" },
        { "stacked", """{"dataframe_split": {"columns": ["z", "y", "x"], "data": [[0.1, 0.2, 0.3]]}}""" },
    };

    public static TheoryData<string, string> Others => new()
    {
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 1e999]]}}""" },
        { "named", """{"dataframe_split": {"data": [[1, 2, 3]]}}""" },
        { "named", """{"dataframe_split": {"data": [[1, 2, 3]], "columns": ["a", "b", "c"]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, null, 3]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, "2", 3]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}, "params": {"k": 1}}""" },
        { "named", """{"dataframe_records": [{"a": 1, "b": 2, "c": 3}]}""" },
    };

    public static TheoryData<string, string> Errors => new()
    {
        { "stacked", """{"dataframe_split": {"columns": ["x", "y"], "data": [[1, 2]]}}""" },
        { "stacked", """{"dataframe_split": {"columns": ["x", "x", "z"], "data": [[1, 2, 3]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "d"], "data": [[1, 2, 3]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3], [1, 2]]}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": []}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]], "extra": 1}}""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}} trailing""" },
        { "named", """{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}, "dataframe_split": {}}""" },
        { "stacked", """{"dataframe_split": {"columns": ["x", "y", "z", "w"], "data": [[1, 2, 3, 4]]}}""" },
    };

    [Theory]
    [MemberData(nameof(Common))]
    public void The_common_body_is_read_in_one_pass_into_the_general_parsers_table(string kind, string body)
    {
        var signature = kind == "named" ? Named : Stacked;
        var bytes = Encoding.UTF8.GetBytes(body);

        var fast = MlflowScoring.TryParseNumericSplit(bytes, signature);
        var general = MlflowScoring.ParseJsonGeneral(bytes, signature);

        Assert.NotNull(fast);
        Assert.Null(fast.Params);
        TableAssert.Same(general.Table, fast.Table);
    }

    [Theory]
    [MemberData(nameof(Common))]
    public void The_kept_split_writes_the_tables_columns_from_the_numbers_text(string kind, string body)
    {
        var signature = kind == "named" ? Named : Stacked;
        var parsed = MlflowScoring.ParseJson(Encoding.UTF8.GetBytes(body).AsMemory(), signature);

        Assert.False(parsed.SplitJson.IsEmpty);
        TableAssert.ColumnsJson(parsed.Table, writer => MlflowScoring.WriteSplitAsColumns(writer, parsed.SplitJson.Span));
    }

    [Theory]
    [MemberData(nameof(Others))]
    public void Other_bodies_keep_no_split(string kind, string body)
    {
        var signature = kind == "named" ? Named : Stacked;
        Assert.True(MlflowScoring.ParseJson(Encoding.UTF8.GetBytes(body).AsMemory(), signature).SplitJson.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Others))]
    public void Other_bodies_go_to_the_general_parser(string kind, string body)
    {
        var signature = kind == "named" ? Named : Stacked;
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Null(MlflowScoring.TryParseNumericSplit(bytes, signature));
        var general = MlflowScoring.ParseJsonGeneral(bytes, signature);
        TableAssert.Same(general.Table, MlflowScoring.ParseJson(bytes, signature).Table);
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void Bad_bodies_get_the_general_parsers_error(string kind, string body)
    {
        var signature = kind == "named" ? Named : Stacked;
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Null(MlflowScoring.TryParseNumericSplit(bytes, signature));
        var general = Assert.ThrowsAny<Exception>(() => MlflowScoring.ParseJsonGeneral(bytes, signature));
        var parsed = Assert.ThrowsAny<Exception>(() => MlflowScoring.ParseJson(bytes, signature));
        Assert.Equal(general.Message, parsed.Message);
    }

    [Fact]
    public void Without_a_float_signature_the_general_parser_reads_the_body()
    {
        var body = Encoding.UTF8.GetBytes("""{"dataframe_split": {"columns": ["x", "y"], "data": [[1, 2]]}}""");
        var integers = new ModelSignature(new Schema([new ColumnSpec("x", "long"), new ColumnSpec("y", "long")]));

        Assert.Null(MlflowScoring.TryParseNumericSplit(body, null));
        Assert.Null(MlflowScoring.TryParseNumericSplit(body, integers));
        Assert.Equal(ColumnType.Int64, MlflowScoring.ParseJson(body, integers).Table[0].Type);
    }

    [Fact]
    public void The_iris_forest_scores_the_same_through_both_readers()
    {
        var body = Encoding.UTF8.GetBytes(
            """{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": """ + models.IrisRowsJson(50, 100) + "}}");

        var fast = MlflowScoring.TryParseNumericSplit(body, models.Iris.Signature);

        Assert.NotNull(fast);
        Assert.Equal(models.IrisLabels(50, 100), models.Iris.Predict(fast.Table).GetPredictedLabels());
        TableAssert.Same(MlflowScoring.ParseJsonGeneral(body, models.Iris.Signature).Table, fast.Table);
    }
}
