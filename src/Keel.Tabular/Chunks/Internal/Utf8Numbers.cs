using System.Globalization;
using System.Text;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>Numbers from UTF-8 text, as <see cref="TableReader"/> reads them from strings, without making the strings.</summary>
internal static class Utf8Numbers
{
    private const NumberStyles IntegerStyle =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;

    // Exactly representable powers of ten (10^22 is the largest a double holds exactly).
    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Invariant numbers plus nan, inf, -inf (any case), as <see cref="TableReader.TryParseDouble"/>.
    /// Plain decimals of up to 15 significant digits ("5.1", "-0.25") take a fast path: the digits as
    /// an integer m &lt; 2^53 divided by 10^k (k ≤ 22) are two exact doubles, so the one IEEE division
    /// is correctly rounded — the same double the full parser returns (Clinger's fast path).
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> utf8, out double value)
    {
        if (TryParseSimpleDecimal(utf8, out value))
        {
            return true;
        }

        if (double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        // nan, inf and their signed and padded spellings: rare, so a string is fine here.
        return TableReader.TryParseDouble(Encoding.UTF8.GetString(utf8), out value);
    }

    public static bool TryParseInt64(ReadOnlySpan<byte> utf8, out long value) =>
        long.TryParse(utf8, IntegerStyle, CultureInfo.InvariantCulture, out value);

    /// <summary>true/false in any case, surrounding spaces allowed (as <see cref="TableReader"/>).</summary>
    public static bool TryParseBoolean(ReadOnlySpan<byte> utf8, out bool value)
    {
        var trimmed = utf8.Trim((byte)' ');
        if (Ascii.EqualsIgnoreCase(trimmed, "true"u8))
        {
            value = true;
            return true;
        }

        value = false;
        return Ascii.EqualsIgnoreCase(trimmed, "false"u8);
    }

    private static bool TryParseSimpleDecimal(ReadOnlySpan<byte> utf8, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (utf8.Length > 0 && (utf8[0] == (byte)'-' || utf8[0] == (byte)'+'))
        {
            negative = utf8[0] == (byte)'-';
            i = 1;
        }

        ulong mantissa = 0;
        var digits = 0;
        var fraction = -1;
        var start = i;
        for (; i < utf8.Length; i++)
        {
            var c = utf8[i];
            if (c - (uint)'0' <= 9)
            {
                mantissa = (mantissa * 10) + (c - (uint)'0');
                digits++;
                if (fraction >= 0)
                {
                    fraction++;
                }
            }
            else if (c == (byte)'.' && fraction < 0)
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }

        // "", "-", "." and "1." style leftovers go to the full parser, as do long mantissas.
        if (digits == 0 || digits > 15 || i == start || fraction == 0)
        {
            return false;
        }

        var result = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        value = negative ? -result : result;
        return true;
    }
}
