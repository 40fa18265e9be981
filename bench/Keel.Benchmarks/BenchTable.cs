using System.Globalization;
using System.Text;

namespace Keel.Benchmarks;

/// <summary>The 20-column CSV the profile and validation figures are measured on.</summary>
internal static class BenchTable
{
    private static readonly string[] Countries = ["de", "fr", "es", "it", "pt", "nl", "be", "at", "ch", "pl", "se", "no", "dk", "fi", "ie", "uk", "us", "ca", "br", "jp"];
    private static readonly string[] Channels = ["web", "app", "store", "partner", "phone"];
    private static readonly string[] Plans = ["free", "pro", "team"];

    /// <summary>The 20-rule suite validation is timed with: row, range, null, set, regex, uniqueness and drift rules.</summary>
    public const string Suite = """
        name: bench
        row_count: {min: 1}
        columns:
          id: {type: long, unique: true}
          amount: {min: 0, max: 500}
          score: {not_null: true, mean: {min: 0.4, max: 0.6}}
          ratio: {min: 0, max: 1}
          temperature: {max_missing_share: 0.01}
          latency: {max_missing_share: 0.6, min: 0}
          age: {type: long, min: 18, max: 90}
          visits: {min: 0}
          active: {type: boolean}
          country: {allowed_values: [de, fr, es, it, pt, nl, be, at, ch, pl, se, no, dk, fi, ie, uk, us, ca, br, jp]}
          channel: {not_null: true}
          plan: {allowed_values: [free, pro, team]}
          segment: {regex: '^seg-[0-9]+$'}
          email: {regex: '^[a-z0-9]+@example\.com$', max_length: 40}
          balance: {drift: {method: mean_shift, threshold: 0.1}}
        """;

    public static void Write(string path, long rows)
    {
        var random = new Random(20261124);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("id,amount,score,ratio,temperature,latency,balance,discount,weight,height,age,visits,items,days,active,country,channel,plan,segment,email\n");
        var line = new StringBuilder(256);
        for (long row = 1; row <= rows; row++)
        {
            line.Clear();
            var c = CultureInfo.InvariantCulture;
            line.Append(row).Append(',');
            line.Append((Math.Exp(random.NextDouble() * 6) - 1).ToString("F2", c)).Append(',');
            line.Append(Normal(random, 0.5, 0.15).ToString("F4", c)).Append(',');
            line.Append(random.NextDouble().ToString("F6", c)).Append(',');
            line.Append(Normal(random, 21, 4).ToString("F1", c)).Append(',');
            line.Append(random.Next(2) == 0 ? "" : (random.NextDouble() * 400).ToString("F3", c)).Append(',');
            line.Append(Normal(random, 1000, 300).ToString("F2", c)).Append(',');
            line.Append((random.NextDouble() * 0.3).ToString("F3", c)).Append(',');
            line.Append(Normal(random, 70, 12).ToString("F1", c)).Append(',');
            line.Append(random.Next(50) == 0 ? "" : Normal(random, 172, 9).ToString("F1", c)).Append(',');
            line.Append(random.Next(18, 91)).Append(',');
            line.Append(random.Next(0, 500)).Append(',');
            line.Append(random.Next(1, 20)).Append(',');
            line.Append(random.Next(0, 3650)).Append(',');
            line.Append(random.Next(3) == 0 ? "false" : "true").Append(',');
            line.Append(Countries[(int)Math.Min(Countries.Length - 1, Math.Abs(Normal(random, 0, 6)))]).Append(',');
            line.Append(Channels[random.Next(random.Next(50) == 0 ? 1 : Channels.Length)]).Append(',');
            line.Append(Plans[random.Next(Plans.Length)]).Append(',');
            line.Append("seg-").Append(random.Next(200)).Append(',');
            line.Append("user").Append(random.Next(5_000_000)).Append("@example.com");
            line.Append('\n');
            writer.Write(line);
        }
    }

    private static double Normal(Random random, double mean, double std) =>
        mean + (std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
