using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keel.Serving.Internal;

/// <summary>
/// YAML ⇄ plain values the way MLflow's PyYAML sees them. MLflow writes MLmodel with
/// <c>yaml.safe_dump(..., default_flow_style=False)</c>: YAML 1.1 resolution (so <c>1.10</c> is a
/// float, <c>yes</c> a boolean, unless quoted) and keys sorted. Reading resolves plain scalars by
/// those rules into null, bool, long, double or string; writing quotes every string that PyYAML
/// would otherwise read as something else, and sorts keys, so a file written here reads back in
/// Python with the same values. Mappings are <see cref="Dictionary{TKey,TValue}"/> of string to
/// object?, sequences <see cref="List{T}"/> of object?.
/// </summary>
internal static partial class YamlValues
{
    public static object? FromNode(YamlNode node) => node switch
    {
        YamlMappingNode mapping => FromMapping(mapping),
        YamlSequenceNode sequence => sequence.Children.Select(FromNode).ToList(),
        YamlScalarNode scalar => FromScalar(scalar),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}."),
    };

    public static Dictionary<string, object?> FromMapping(YamlMappingNode mapping)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            var name = key is YamlScalarNode { Value: { } k } ? k : key.ToString();
            result[name] = FromNode(value);
        }

        return result;
    }

    public static YamlNode ToNode(object? value) => value switch
    {
        null => Plain("null"),
        string text => Text(text),
        bool flag => Plain(flag ? "true" : "false"),
        int or long or short or byte or uint or ulong => Plain(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        double number => Plain(FloatText(number)),
        float number => Plain(FloatText(number)),
        IDictionary<string, object?> map => ToMapping(map),
        IReadOnlyDictionary<string, object?> map => ToMapping(map),
        IDictionary map => ToMapping(map.Keys.Cast<object>().Select(k =>
            new KeyValuePair<string, object?>(Convert.ToString(k, CultureInfo.InvariantCulture) ?? "", map[k]))),
        IEnumerable items => new YamlSequenceNode(items.Cast<object?>().Select(ToNode)),
        _ => Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    public static YamlMappingNode ToMapping(IEnumerable<KeyValuePair<string, object?>> map)
    {
        var node = new YamlMappingNode();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            node.Add(Text(key), ToNode(value));
        }

        return node;
    }

    /// <summary>Block-style YAML text of a mapping, without a document end marker.</summary>
    public static string Write(YamlMappingNode root)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static object? FromScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            return text;
        }

        if (NullPattern().IsMatch(text))
        {
            return null;
        }

        if (TruePattern().IsMatch(text))
        {
            return true;
        }

        if (FalsePattern().IsMatch(text))
        {
            return false;
        }

        if (DecimalIntPattern().IsMatch(text)
            && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (FloatPattern().IsMatch(text))
        {
            var lower = text.ToLowerInvariant();
            return lower switch
            {
                ".nan" => double.NaN,
                ".inf" or "+.inf" => double.PositiveInfinity,
                "-.inf" => double.NegativeInfinity,
                _ => double.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture),
            };
        }

        return text;
    }

    private static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

    /// <summary>A string scalar: plain when PyYAML would read it back as the same string, quoted otherwise.</summary>
    private static YamlScalarNode Text(string text) =>
        text.Length == 0 || NullPattern().IsMatch(text) || TruePattern().IsMatch(text) || FalsePattern().IsMatch(text)
            || AnyIntPattern().IsMatch(text) || FloatPattern().IsMatch(text) || TimestampPattern().IsMatch(text)
            ? new YamlScalarNode(text) { Style = ScalarStyle.SingleQuoted }
            : Plain(text);

    /// <summary>Python's float repr as PyYAML writes it: always a dot, <c>.nan</c> and <c>.inf</c>.</summary>
    private static string FloatText(double value)
    {
        if (double.IsNaN(value))
        {
            return ".nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? ".inf" : "-.inf";
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? text : text[..e];
        if (!mantissa.Contains('.', StringComparison.Ordinal))
        {
            mantissa += ".0";
        }

        return e < 0 ? mantissa : $"{mantissa}e{text[(e + 1)..]}";
    }

    // YAML 1.1 implicit resolvers, as PyYAML's SafeResolver has them.
    [GeneratedRegex("^(?:~|null|Null|NULL|)$")]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$")]
    private static partial Regex TruePattern();

    [GeneratedRegex("^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$")]
    private static partial Regex FalsePattern();

    [GeneratedRegex("^[-+]?(?:0|[1-9][0-9_]*)$")]
    private static partial Regex DecimalIntPattern();

    [GeneratedRegex("^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")]
    private static partial Regex AnyIntPattern();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$")]
    private static partial Regex TimestampPattern();
}
