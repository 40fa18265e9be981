using System.Globalization;

namespace Keel.Monitoring.Quality;

/// <summary>
/// Class labels as text, ordered the way scikit-learn orders <c>np.unique</c> of the labels it was
/// given: numerically when every label is a number (labels usually arrive as CSV text but were
/// integers in Python, where 10 sorts after 9), otherwise by ordinal string comparison.
/// </summary>
public static class ClassLabels
{
    private const NumberStyles Number = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>The text form of an integer label; the numeric overloads use it.</summary>
    public static string Format(long label) => label.ToString(CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> Format(IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var text = new string[labels.Count];
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = Format(labels[i]);
        }

        return text;
    }

    /// <summary>The distinct labels in scikit-learn's order.</summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var distinct = labels.Distinct(StringComparer.Ordinal).ToList();
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var label in distinct)
        {
            if (!double.TryParse(label, Number, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                return [.. distinct.Order(StringComparer.Ordinal)];
            }

            numbers[label] = value;
        }

        // "1" and "1.0" are different labels with one value; ordinal order breaks the tie stably.
        return [.. distinct.OrderBy(l => numbers[l]).ThenBy(l => l, StringComparer.Ordinal)];
    }
}
