using Keel.Core.Errors;
using Keel.Core.Search;

namespace Keel.Core.Tests.Search;

/// <summary>Helpers shared by the search parser tests.</summary>
internal static class SearchAssert
{
    public static Comparison Single(IReadOnlyList<Comparison> clauses) => Assert.Single(clauses);

    public static void Clause(Comparison actual, EntityKind kind, string key, Comparator op, object? value)
    {
        Assert.Equal(kind, actual.Kind);
        Assert.Equal(key, actual.Key);
        Assert.Equal(op, actual.Op);
        if (value is IEnumerable<string> expectedList)
        {
            var list = Assert.IsAssignableFrom<IReadOnlyList<string>>(actual.Value);
            Assert.Equal(expectedList, list);
        }
        else
        {
            Assert.Equal(value, actual.Value);
        }
    }

    /// <summary>Asserts an INVALID_PARAMETER_VALUE whose message contains every given fragment.</summary>
    public static KeelException Invalid(Action parse, params string[] fragments)
    {
        var error = Assert.Throws<KeelException>(parse);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }

        return error;
    }
}
