using System.Text.Json.Nodes;
using Keel.Core.Tracking;

namespace Keel.Core.Tests.Tracking;

public sealed class PythonJsonTests
{
    [Fact]
    public void Dumps_matches_pythons_json_dumps_defaults()
    {
        // Expected text produced by Python 3.11: json.dumps(json.loads(source)).
        var source = """{"a":[1,2.5,true,false,null],"b":{"c":"x\"y\\z\n"},"é":"ü\u0001","n":-3e-7}""";
        Assert.Equal(
            """{"a": [1, 2.5, true, false, null], "b": {"c": "x\"y\\z\n"}, "\u00e9": "\u00fc\u0001", "n": -3e-07}""",
            PythonJson.Dumps(JsonNode.Parse(source)));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(2.5, "2.5")]
    [InlineData(-3e-7, "-3e-07")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(0.1, "0.1")]
    public void Floats_are_written_as_pythons_repr(double value, string expected) =>
        Assert.Equal(expected, PythonJson.FloatRepr(value));
}
