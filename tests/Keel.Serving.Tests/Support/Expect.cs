namespace Keel.Serving.Tests.Support;

internal static class Expect
{
    /// <summary>
    /// Expected text values, some missing, typed as a sequence: xUnit's span overload of Assert.Equal
    /// cannot take nullable strings.
    /// </summary>
    public static IEnumerable<string?> Strings(params string?[] values) => values;
}
