using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Data.Profiling;

namespace Keel.Data.Validation;

/// <summary>One row that broke a rule: its position among the data rows (from 0) and its value.</summary>
public sealed record FailingRow(
    [property: JsonPropertyName("row")] long Row,
    [property: JsonPropertyName("value")] string? Value);

/// <summary>
/// The outcome of one rule. <see cref="FailingRows"/> and <see cref="Sample"/> are there for rules
/// checked row by row (null for table-level rules such as a mean or a drift statistic).
/// </summary>
public sealed record RuleResult(
    [property: JsonPropertyName("rule")] string Rule,
    [property: JsonPropertyName("column")] string? Column,
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("expected")] string Expected,
    [property: JsonPropertyName("observed")] string Observed,
    [property: JsonPropertyName("failing_rows")] long? FailingRows,
    [property: JsonPropertyName("sample")] IReadOnlyList<FailingRow>? Sample);

/// <summary>What <c>keel data validate</c> and <c>POST /api/2.0/keel/validate</c> return.</summary>
public sealed record ValidationReport(
    [property: JsonPropertyName("suite")] string Suite,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("row_count")] long RowCount,
    [property: JsonPropertyName("rules_passed")] int RulesPassed,
    [property: JsonPropertyName("rules_failed")] int RulesFailed,
    [property: JsonPropertyName("results")] IReadOnlyList<RuleResult> Results)
{
    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, new JsonSerializerOptions(TableProfile.Json) { WriteIndented = indented });

    public static ValidationReport FromJson(string json) =>
        JsonSerializer.Deserialize<ValidationReport>(json, TableProfile.Json) ?? throw new JsonException("A report is a JSON object.");

    /// <summary>A self-contained HTML page (no scripts, no external files): a summary, then one row per rule, failures first.</summary>
    public string ToHtml()
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Validation: ")
            .Append(E(Suite)).Append(" on ").Append(E(Data)).Append("</title>\n<style>")
            .Append("body{font:14px system-ui,sans-serif;margin:2em;color:#1b1f24}table{border-collapse:collapse;width:100%}")
            .Append("th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}")
            .Append("th{background:#f6f8fa}.fail{color:#b42318;font-weight:600}.pass{color:#1a7f37}code{font-size:12px}")
            .Append(".badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff}.ok{background:#1a7f37}.bad{background:#b42318}")
            .Append("</style></head><body>\n");
        html.Append("<h1>Validation of <code>").Append(E(Data)).Append("</code></h1>\n<p>Suite <b>").Append(E(Suite)).Append("</b>: ")
            .Append(Success ? "<span class=\"badge ok\">passed</span>" : "<span class=\"badge bad\">failed</span>")
            .Append(CultureInfo.InvariantCulture, $" — {RulesPassed} of {RulesPassed + RulesFailed} rules passed, {RowCount:N0} rows.</p>\n");
        html.Append("<table><thead><tr><th>Result</th><th>Column</th><th>Rule</th><th>Expected</th><th>Observed</th><th>Failing rows</th><th>Sample (row: value)</th></tr></thead><tbody>\n");
        foreach (var result in Results.OrderBy(r => r.Passed))
        {
            html.Append("<tr><td class=\"").Append(result.Passed ? "pass\">pass" : "fail\">FAIL").Append("</td><td>")
                .Append(E(result.Column ?? "(table)")).Append("</td><td>").Append(E(result.Rule)).Append("</td><td>")
                .Append(E(result.Expected)).Append("</td><td>").Append(E(result.Observed)).Append("</td><td>")
                .Append(result.FailingRows?.ToString("N0", CultureInfo.InvariantCulture) ?? "").Append("</td><td>");
            if (result.Sample is { Count: > 0 } sample)
            {
                html.AppendJoin(", ", sample.Select(row => $"{row.Row}: <code>{E(row.Value ?? "null")}</code>"));
            }

            html.Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n</body></html>\n");
        return html.ToString();
    }
}
