using System.Globalization;
using Keel.Core.Errors;

namespace Keel.Core.Tracking;

/// <summary>Page tokens of metric histories: the (timestamp, step, value) of the last point sent.</summary>
internal static class HistoryCursor
{
    public static string Encode(Metric last) => PageTokens.Encode(new[]
    {
        last.Timestamp.ToString(CultureInfo.InvariantCulture),
        last.Step.ToString(CultureInfo.InvariantCulture),
        last.Value.ToString("R", CultureInfo.InvariantCulture),
    });

    public static Metric Decode(string token, string key)
    {
        var parts = PageTokens.Decode<string[]>(token);
        if (parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var timestamp)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var step)
            && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return new Metric(key, value, timestamp, step);
        }

        throw KeelException.Invalid("Invalid page token: it was not issued for a metric history.");
    }
}
