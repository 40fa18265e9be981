using System.Globalization;
using System.Text;

namespace Keel.Core.Search.Internal;

/// <summary>The few Python string behaviours MLflow's search parser leaks onto the wire.</summary>
internal static class PythonText
{
    /// <summary>
    /// Python's <c>str.islower()</c>: at least one cased character and no upper- or title-case one. Python's
    /// Lowercase/Uppercase properties also cover a few non-letters (ª, ⅰ, ⓐ); general categories are close
    /// enough for the run ids and dataset names this is applied to.
    /// </summary>
    public static bool IsLower(string value)
    {
        var cased = false;
        foreach (var rune in value.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter:
                    return false;
                case UnicodeCategory.LowercaseLetter:
                    cased = true;
                    break;
            }
        }

        return cased;
    }

    /// <summary>Formats names the way MLflow's messages print a Python list: <c>['a', 'b']</c>.</summary>
    public static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => $"'{i}'")) + "]";
}
