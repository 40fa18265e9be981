using System.Globalization;
using System.Net;
using System.Text;
using Keel.Monitoring.Drift;

namespace Keel.Monitoring.Reports;

/// <summary>
/// A <see cref="MonitoringReport"/> as one self-contained HTML page: inline CSS and SVG charts, no
/// script, no font or library from a CDN, so it opens offline and can be mailed or archived.
/// </summary>
public static class ReportHtml
{
    private const int Width = 640;
    private const int Height = 220;
    private const int Left = 48;
    private const int Bottom = 40;
    private const int Top = 12;
    private const string ReferenceColor = "#4c78a8";
    private const string CurrentColor = "#f58518";

    public static string Render(MonitoringReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var drift = report.DataDrift;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<title>").Append(E(report.Title)).Append("</title>\n<style>")
            .Append("body{font:14px system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1f24}")
            .Append("table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left}")
            .Append("th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;gap:1em;flex-wrap:wrap}")
            .Append(".card{border:1px solid #d0d7de;border-radius:8px;padding:.8em 1.2em;min-width:180px}.card b{font-size:22px;display:block}")
            .Append(".badge{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-size:12px}.yes{background:#b42318}.no{background:#1a7f37}")
            .Append(".muted{color:#57606a}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}")
            .Append("section{margin:2em 0;border-top:1px solid #d0d7de}svg text{font:11px system-ui,sans-serif;fill:#57606a}")
            .Append("</style></head><body>\n");
        html.Append("<h1>").Append(E(report.Title)).Append("</h1>\n<p class=\"muted\">Reference <b>").Append(E(report.Reference))
            .Append(Invariant($"</b> ({drift.ReferenceRows:N0} rows) against current <b>")).Append(E(report.Current))
            .Append(Invariant($"</b> ({drift.CurrentRows:N0} rows), {report.Created:yyyy-MM-dd HH:mm:ss} UTC.</p>\n"));

        html.Append("<div class=\"cards\">")
            .Append("<div class=\"card\">Dataset drift<b>").Append(Badge(drift.DatasetDrift, "detected", "not detected")).Append("</b></div>")
            .Append(Invariant($"<div class=\"card\">Drifted features<b>{drift.DriftedFeatures} of {drift.FeatureCount}</b><span class=\"muted\">share {drift.DriftShare:P0}, threshold {drift.DriftShareThreshold:P0}</span></div>"));
        foreach (var (label, feature) in new[] { ("Target drift", report.TargetDrift), ("Prediction drift", report.PredictionDrift) })
        {
            if (feature is not null)
            {
                html.Append("<div class=\"card\">").Append(label).Append("<b>").Append(Badge(feature.Drifted, "detected", "not detected"))
                    .Append("</b><span class=\"muted\">").Append(E(feature.Name)).Append(": ").Append(E(feature.Method)).Append(' ')
                    .Append(Number(feature.Statistic)).Append("</span></div>");
            }
        }

        if (report.PerformanceEstimate is { } estimate)
        {
            html.Append("<div class=\"card\">Estimated accuracy (CBPE)<b>").Append(Number(estimate.EstimatedAccuracy)).Append("</b><span class=\"muted\">")
                .Append(estimate.RealizedAccuracy is { } realized
                    ? Invariant($"realised {Number(realized)} on {estimate.RowsWithActual:N0} labelled rows (estimated there {Number(estimate.EstimatedAccuracyOnLabelled)})")
                    : "no labels yet")
                .Append("</span></div>");
        }

        html.Append("</div>\n");
        if (report.Window is { } window)
        {
            html.Append(Invariant($"<p class=\"muted\">Window of monitor <b>{E(window.Monitor)}</b> on deployment <b>{E(window.Deployment)}</b>: {window.Rows:N0} rows from {window.RequestsRead:N0} of {window.RequestsInWindow:N0} requests"))
                .Append(window.SampledEvery > 1 ? Invariant($" (every {window.SampledEvery}th)") : "")
                .Append(Invariant($", {window.RowsWithActual:N0} with feedback."))
                .Append(window.UnreadableRequests > 0 ? Invariant($" {window.UnreadableRequests:N0} logged requests could not be read.") : "")
                .Append("</p>\n");
        }

        if (report.Quality is { } quality)
        {
            AppendQuality(html, quality);
        }

        html.Append("<h2>Features</h2>\n<table><thead><tr><th>Feature</th><th>Kind</th><th>Method</th><th>Statistic</th><th>Threshold</th><th>Drift</th>")
            .Append("<th>Missing (ref / cur)</th><th>Note</th></tr></thead><tbody>\n");
        var all = drift.Features.Concat(new[] { report.TargetDrift, report.PredictionDrift }.OfType<FeatureDrift>()).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            var f = all[i];
            html.Append("<tr><td><a href=\"#feature-").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(E(f.Name)).Append("</a></td><td>")
                .Append(E(f.Kind)).Append("</td><td>").Append(E(f.Method)).Append("</td><td class=\"n\">").Append(Number(f.Statistic))
                .Append("</td><td class=\"n\">").Append(Number(f.Threshold)).Append("</td><td>").Append(f.Statistic is null ? "—" : Badge(f.Drifted, "drift", "no drift"))
                .Append("</td><td class=\"n\">").Append(Invariant($"{Share(f.ReferenceMissing, f.ReferenceCount)} / {Share(f.CurrentMissing, f.CurrentCount)}"))
                .Append("</td><td>").Append(E(f.Note)).Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n");
        if (report.DataQuality is { Count: > 0 } checks)
        {
            html.Append("<h2>Data quality</h2>\n<table><thead><tr><th>Feature</th><th>Missing (reference)</th><th>Missing (current)</th>")
                .Append("<th>Outside the reference range</th><th>New categories</th><th>Not numbers</th><th>Type changed</th></tr></thead><tbody>\n");
            foreach (var q in checks)
            {
                html.Append("<tr><td>").Append(E(q.Name)).Append("</td><td class=\"n\">").Append(Percent(q.ReferenceMissingShare))
                    .Append("</td><td class=\"n\">").Append(Percent(q.CurrentMissingShare)).Append("</td><td class=\"n\">").Append(Percent(q.OutOfRangeShare))
                    .Append("</td><td class=\"n\">").Append(q.NewCategories.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td class=\"n\">").Append(q.TypeErrors.ToString("N0", CultureInfo.InvariantCulture)).Append("</td><td>")
                    .Append(q.TypeMismatch ? "<span class=\"badge yes\">yes</span>" : "no").Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("<p class=\"legend muted\">Charts: <span style=\"background:").Append(ReferenceColor).Append("\"></span>reference")
            .Append("<span style=\"background:").Append(CurrentColor).Append("\"></span>current (share of each side's values per bin)</p>\n");
        for (var i = 0; i < all.Count; i++)
        {
            AppendFeature(html, all[i], i);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void AppendQuality(StringBuilder html, QualityComparison quality)
    {
        html.Append("<h2>Model quality (").Append(E(quality.Task)).Append(")</h2>\n<table><thead><tr><th>Metric</th>")
            .Append(Invariant($"<th>Reference ({quality.ReferenceRows:N0} rows)</th><th>Current ({quality.CurrentRows:N0} rows)</th><th>Change</th></tr></thead><tbody>\n"));
        var names = (quality.Current?.Keys ?? []).Concat(quality.Reference?.Keys ?? []).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            double? before = quality.Reference?.GetValueOrDefault(name), after = quality.Current?.GetValueOrDefault(name);
            html.Append("<tr><td>").Append(E(name)).Append("</td><td class=\"n\">").Append(Number(before)).Append("</td><td class=\"n\">")
                .Append(Number(after)).Append("</td><td class=\"n\">").Append(before is { } b && after is { } a ? Number(a - b) : "").Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n");
        if (quality.Classes is { } classes && quality.ConfusionMatrix is { } matrix)
        {
            html.Append("<p class=\"muted\">Confusion matrix of the current data (rows: true class, columns: predicted).</p><table><thead><tr><th></th>");
            foreach (var label in classes)
            {
                html.Append("<th>").Append(E(label)).Append("</th>");
            }

            html.Append("</tr></thead><tbody>");
            for (var r = 0; r < classes.Count; r++)
            {
                html.Append("<tr><th>").Append(E(classes[r])).Append("</th>");
                foreach (var count in matrix[r])
                {
                    html.Append("<td class=\"n\">").Append(count.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
                }

                html.Append("</tr>");
            }

            html.Append("</tbody></table>\n");
        }
    }

    private static void AppendFeature(StringBuilder html, FeatureDrift f, int index)
    {
        html.Append("<section id=\"feature-").Append(index.ToString(CultureInfo.InvariantCulture)).Append("\"><h3>").Append(E(f.Name)).Append(' ')
            .Append(f.Statistic is null ? "" : Badge(f.Drifted, "drift", "no drift")).Append("</h3>\n<p class=\"muted\">");
        var facts = new List<string>();
        Add(facts, "PSI", f.Psi);
        Add(facts, "Jensen–Shannon", f.JensenShannon);
        Add(facts, "KS", f.KsStatistic);
        Add(facts, "KS p-value" + (f.KsPValueMethod is { } m ? $" ({m})" : ""), f.KsPValue);
        Add(facts, "Wasserstein", f.Wasserstein);
        Add(facts, "normed Wasserstein", f.WassersteinNormed);
        Add(facts, "χ²", f.ChiSquareStatistic);
        Add(facts, "χ² p-value", f.ChiSquarePValue);
        html.AppendJoin(" · ", facts.Select(E));
        if (f.NewCategories is { Count: > 0 } added)
        {
            html.Append("<br>New categories: ").Append(E(string.Join(", ", added.Take(20))));
        }

        if (f.MissingCategories is { Count: > 0 } gone)
        {
            html.Append("<br>Categories no longer seen: ").Append(E(string.Join(", ", gone.Take(20))));
        }

        if (f.FromProfile)
        {
            html.Append("<br>Reference from a profile: KS and Wasserstein read off its quantile grid.");
        }

        html.Append("</p>\n");
        if (f.Histogram is { } histogram)
        {
            AppendChart(html, f.Name, histogram);
        }

        html.Append("</section>\n");
    }

    /// <summary>Each side's share of values per bin, the two bars of a bin side by side.</summary>
    private static void AppendChart(StringBuilder html, string name, DriftHistogram histogram)
    {
        var reference = Shares(histogram.Reference);
        var current = Shares(histogram.Current);
        var bins = reference.Length;
        if (bins == 0)
        {
            return;
        }

        var categorical = histogram.Categories is not null;
        var bottom = categorical ? Bottom + 40 : Bottom;
        var plotWidth = Width - Left - 8;
        var plotHeight = Height - Top - bottom;
        var top = Math.Max(reference.Concat(current).Max(), 1e-12);
        var slot = (double)plotWidth / bins;
        html.Append(Invariant($"<svg role=\"img\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\"><title>"))
            .Append(E(name)).Append(": reference and current distributions</title>\n");
        html.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Width - 8}\" y2=\"{Top + plotHeight}\" stroke=\"#8c959f\"/>"))
            .Append(Invariant($"<text x=\"{Left - 6}\" y=\"{Top + 8}\" text-anchor=\"end\">{top:P0}</text><text x=\"{Left - 6}\" y=\"{Top + plotHeight}\" text-anchor=\"end\">0</text>\n"));
        for (var i = 0; i < bins; i++)
        {
            var x = Left + (i * slot);
            var label = categorical ? histogram.Categories![i]
                : i == 0 ? Invariant($"below {histogram.Edges![1]:G4}")
                : i == bins - 1 ? Invariant($"{histogram.Edges![i]:G4} and above")
                : Invariant($"[{histogram.Edges![i]:G4}, {histogram.Edges[i + 1]:G4})");
            foreach (var (shares, offset, color, side) in new[] { (reference, 0.1, ReferenceColor, "reference"), (current, 0.5, CurrentColor, "current") })
            {
                var h = shares[i] / top * plotHeight;
                html.Append(Invariant($"<rect x=\"{x + (offset * slot):F1}\" y=\"{Top + plotHeight - h:F1}\" width=\"{slot * 0.4:F1}\" height=\"{h:F1}\" fill=\"{color}\"><title>"))
                    .Append(E(label)).Append(Invariant($" {side}: {shares[i]:P1}</title></rect>"));
            }

            if (categorical)
            {
                var cx = x + (slot / 2);
                html.Append(Invariant($"<text transform=\"translate({cx:F1},{Top + plotHeight + 10}) rotate(40)\">")).Append(E(Shorten(label))).Append("</text>");
            }

            html.Append('\n');
        }

        if (!categorical)
        {
            var edges = histogram.Edges!;
            html.Append(Invariant($"<text x=\"{Left}\" y=\"{Top + plotHeight + 16}\">{edges[0]:G5}</text>"))
                .Append(Invariant($"<text x=\"{Left + (plotWidth / 2.0):F1}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\">{edges[edges.Count / 2]:G5}</text>"))
                .Append(Invariant($"<text x=\"{Width - 8}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"end\">{edges[^1]:G5}</text>"));
        }

        html.Append("</svg>\n");
    }

    private static double[] Shares(IReadOnlyList<long> counts)
    {
        double total = counts.Sum();
        return [.. counts.Select(c => total == 0 ? 0 : c / total)];
    }

    private static string Percent(double? share) => share is { } s ? s.ToString("P1", CultureInfo.InvariantCulture) : "—";

    private static string Shorten(string text) => text.Length <= 18 ? text : text[..17] + "…";

    private static void Add(List<string> facts, string name, double? value)
    {
        if (value is not null)
        {
            facts.Add($"{name} {Number(value)}");
        }
    }

    private static string Badge(bool yes, string whenYes, string whenNo) =>
        yes ? $"<span class=\"badge yes\">{whenYes}</span>" : $"<span class=\"badge no\">{whenNo}</span>";

    private static string Share(long missing, long present) =>
        missing + present == 0 ? "—" : ((double)missing / (missing + present)).ToString("P1", CultureInfo.InvariantCulture);

    private static string Number(double? value) => value switch
    {
        null => "—",
        { } v when v != 0 && (Math.Abs(v) < 1e-3 || Math.Abs(v) >= 1e6) => v.ToString("0.###E+0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
