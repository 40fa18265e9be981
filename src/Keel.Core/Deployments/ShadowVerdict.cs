using System.Globalization;
using System.Text.Json;
using Keel.Core.Inference;

namespace Keel.Core.Deployments;

/// <summary>
/// How a shadow model compares with the live one on the same requests: for classifiers the share of
/// requests where every predicted label agrees, for regressors the mean and largest absolute
/// difference of the predictions; latency and errors of both.
/// </summary>
public sealed record ShadowVerdict(
    string Deployment,
    long Pairs,
    long ShadowErrors,
    string Kind,
    double? AgreementRate,
    double? MeanAbsoluteDifference,
    double? MaxAbsoluteDifference,
    double LiveP50Ms,
    double LiveP99Ms,
    double ShadowP50Ms,
    double ShadowP99Ms,
    string? ShadowVersion)
{
    public const string Classification = "classification";
    public const string Regression = "regression";
    public const string None = "none";

    /// <summary>Pairs live and shadow records by request id and compares their predictions.</summary>
    public static ShadowVerdict Compute(string deployment, IReadOnlyList<InferenceRecord> live, IReadOnlyList<InferenceRecord> shadow)
    {
        var liveById = new Dictionary<string, InferenceRecord>(StringComparer.Ordinal);
        foreach (var record in live.Where(r => !r.Shadow && r.Status == 200))
        {
            liveById.TryAdd(record.RequestId, record);
        }

        var liveLatency = new List<double>();
        var shadowLatency = new List<double>();
        var pairs = 0L;
        var errors = 0L;
        var agreed = 0L;
        var labelled = 0L;
        var diffs = new List<double>();
        string? version = null;
        foreach (var s in shadow.Where(r => r.Shadow))
        {
            version ??= s.ModelVersion;
            if (s.Status != 200)
            {
                errors++;
                continue;
            }

            if (!liveById.TryGetValue(s.RequestId, out var l))
            {
                continue;
            }

            pairs++;
            liveLatency.Add(l.LatencyMs);
            shadowLatency.Add(s.LatencyMs);
            var a = Values(l.Outputs);
            var b = Values(s.Outputs);
            if (a.Count == 0 || a.Count != b.Count)
            {
                continue;
            }

            if (a.All(v => v.Number is { } n && n != Math.Floor(n)) || b.All(v => v.Number is { } m && m != Math.Floor(m)))
            {
                for (var i = 0; i < a.Count; i++)
                {
                    diffs.Add(Math.Abs((a[i].Number ?? double.NaN) - (b[i].Number ?? double.NaN)));
                }
            }
            else
            {
                labelled++;
                agreed += a.SequenceEqual(b) ? 1 : 0;
            }
        }

        var kind = labelled >= diffs.Count && labelled > 0 ? Classification : diffs.Count > 0 ? Regression : None;
        var finite = diffs.Where(double.IsFinite).ToList();
        return new ShadowVerdict(
            deployment, pairs, errors, kind,
            kind == Classification ? (double)agreed / labelled : null,
            kind == Regression && finite.Count > 0 ? finite.Average() : null,
            kind == Regression && finite.Count > 0 ? finite.Max() : null,
            RouteFigures.Percentile(liveLatency, 0.5), RouteFigures.Percentile(liveLatency, 0.99),
            RouteFigures.Percentile(shadowLatency, 0.5), RouteFigures.Percentile(shadowLatency, 0.99),
            version);
    }

    /// <summary>One predicted value per row: the first output of each row when a model has several.</summary>
    internal static List<Cell> Values(string? outputs)
    {
        var cells = new List<Cell>();
        if (outputs is null)
        {
            return cells;
        }

        using var document = JsonDocument.Parse(outputs);
        var predictions = document.RootElement.TryGetProperty("predictions", out var p) ? p : document.RootElement;
        if (predictions.ValueKind == JsonValueKind.Object)
        {
            // {"label": [...], "probabilities": [...]}: the first output, row by row.
            foreach (var property in predictions.EnumerateObject())
            {
                predictions = property.Value;
                break;
            }
        }

        if (predictions.ValueKind != JsonValueKind.Array)
        {
            return cells;
        }

        foreach (var row in predictions.EnumerateArray())
        {
            var value = row;
            if (value.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in value.EnumerateObject())
                {
                    value = property.Value;
                    break;
                }
            }

            cells.Add(value.ValueKind switch
            {
                JsonValueKind.Number => new Cell(value.GetDouble(), null),
                JsonValueKind.String => new Cell(null, value.GetString()),
                _ => new Cell(null, value.GetRawText()),
            });
        }

        return cells;
    }

    public override string ToString() => Kind switch
    {
        Classification => string.Create(CultureInfo.InvariantCulture, $"{Pairs} pairs, agreement {AgreementRate:P2}, shadow errors {ShadowErrors}"),
        Regression => string.Create(CultureInfo.InvariantCulture, $"{Pairs} pairs, mean |diff| {MeanAbsoluteDifference:G6}, max |diff| {MaxAbsoluteDifference:G6}, shadow errors {ShadowErrors}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Pairs} pairs, shadow errors {ShadowErrors}"),
    };

    internal readonly record struct Cell(double? Number, string? Text);
}
