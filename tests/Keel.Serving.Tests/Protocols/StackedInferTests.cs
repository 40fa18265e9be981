using System.Text;
using Keel.Serving.Models;
using Keel.Serving.Protocols;

namespace Keel.Serving.Tests.Protocols;

/// <summary>The one-pass reader of the common OIP infer request must build what the general parser builds, and leave everything else to it.</summary>
public sealed class StackedInferTests
{
    private static readonly ModelSignature Named = new(new Schema([new TensorSpec("input", "float32", [-1, 3])]));

    private static readonly ModelSignature Doubles = new(new Schema([new TensorSpec("x", "float64", [-1, -1])]));

    private static readonly ModelSignature Unnamed = new(new Schema([new TensorSpec(null, "float32", [-1, 2])]));

    public static TheoryData<string, string> Common => new()
    {
        { "named", """{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 6.2, 2.9, 4.3]}]}""" },
        { "named", """{"id": "r-1", "inputs": [{"data": [[1, 2, 3], [4, 5.5, -6e-3]], "datatype": "FP64", "shape": [2, 3], "name": "input"}]}""" },
        { "named", """ { "inputs" : [ { "name" : "input", "shape" : [1, 3], "datatype" : "FP32", "data" : [1.000000001, 1e-30, 123456789012345678] } ], "id": null } """ },
        { "doubles", """{"inputs": [{"name": "x", "shape": [3, 2], "datatype": "FP64", "data": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}]}""" },
        { "unnamed", """{"inputs": [{"name": "anything", "shape": [1, 2], "datatype": "FP32", "data": [[7, 8]]}]}""" },
    };

    public static TheoryData<string, string> Others => new()
    {
        { "named", """{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}], "outputs": [{"name": "label"}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}], "parameters": {"k": 1}}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "INT64", "data": [1, 2, 3, 4, 5, 6]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [[[1, 2, 3]]]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 1e999]}]}""" },
    };

    public static TheoryData<string, string> Errors => new()
    {
        { "named", """{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}""" },
        { "named", """{"inputs": [{"name": "other", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, null, 3]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, "2", 3]}]}""" },
        { "doubles", """{"inputs": [{"name": "x", "shape": [6], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}, {"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""" },
        { "named", """{"inputs": []}""" },
        { "named", """{"id": 7, "inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""" },
        { "named", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]} trailing""" },
    };

    [Theory]
    [MemberData(nameof(Common))]
    public void The_common_request_is_read_in_one_pass_into_the_general_parsers_table(string kind, string body)
    {
        var signature = Signature(kind);
        var bytes = Encoding.UTF8.GetBytes(body);

        var fast = OpenInference.TryParseStackedInfer(bytes, signature);
        var general = OpenInference.ParseInferGeneral(bytes, signature);

        Assert.NotNull(fast);
        Assert.Equal(general.Id, fast.Id);
        Assert.Null(fast.RequestedOutputs);
        Assert.Null(fast.Parameters);
        TableAssert.Same(general.Table, fast.Table);
    }

    [Theory]
    [MemberData(nameof(Common))]
    public void The_kept_data_writes_the_tables_columns_from_the_numbers_text(string kind, string body)
    {
        var parsed = OpenInference.ParseInfer(Encoding.UTF8.GetBytes(body).AsMemory(), Signature(kind));

        Assert.False(parsed.DataJson.IsEmpty);
        TableAssert.ColumnsJson(parsed.Table, writer => MlflowScoring.WriteNumbersAsColumns(writer, parsed.Table.ColumnNames, parsed.DataJson.Span));
    }

    [Theory]
    [MemberData(nameof(Others))]
    public void Other_requests_keep_no_data(string kind, string body) =>
        Assert.True(OpenInference.ParseInfer(Encoding.UTF8.GetBytes(body).AsMemory(), Signature(kind)).DataJson.IsEmpty);

    [Theory]
    [MemberData(nameof(Others))]
    public void Other_requests_go_to_the_general_parser(string kind, string body)
    {
        var signature = Signature(kind);
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Null(OpenInference.TryParseStackedInfer(bytes, signature));
        TableAssert.Same(OpenInference.ParseInferGeneral(bytes, signature).Table, OpenInference.ParseInfer(bytes, signature).Table);
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void Bad_requests_get_the_general_parsers_error(string kind, string body)
    {
        var signature = Signature(kind);
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Null(OpenInference.TryParseStackedInfer(bytes, signature));
        var general = Assert.ThrowsAny<Exception>(() => OpenInference.ParseInferGeneral(bytes, signature));
        var parsed = Assert.ThrowsAny<Exception>(() => OpenInference.ParseInfer(bytes, signature));
        Assert.Equal(general.Message, parsed.Message);
    }

    private static ModelSignature Signature(string kind) => kind switch
    {
        "named" => Named,
        "doubles" => Doubles,
        _ => Unnamed,
    };
}
