using Keel.Core.Search.Internal;

namespace Keel.Core.Tests.Search;

public class PythonTextTests
{
    [Theory]
    [InlineData("abc", true)]
    [InlineData("0f8e2a1b3c4d5e6f", true)]
    [InlineData("a-1_b", true)]
    [InlineData("éa", true)]
    [InlineData("ß", true)]
    [InlineData("𝐚", true)]
    [InlineData("", false)]
    [InlineData("123", false)]
    [InlineData("-_ ", false)]
    [InlineData("ABC", false)]
    [InlineData("aBc", false)]
    [InlineData("abC", false)]
    [InlineData("ǅa", false)]
    [InlineData("日本", false)]
    public void Is_lower_matches_python_str_islower(string value, bool expected) =>
        Assert.Equal(expected, PythonText.IsLower(value));

    [Fact]
    public void List_formats_like_a_python_list() =>
        Assert.Equal("['=', '!=', 'LIKE']", PythonText.List(["=", "!=", "LIKE"]));

    [Fact]
    public void Empty_list_formats_as_brackets() => Assert.Equal("[]", PythonText.List([]));
}
