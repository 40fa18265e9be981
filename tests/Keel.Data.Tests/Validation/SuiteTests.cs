using Keel.Core.Errors;
using Keel.Data.Profiling;
using Keel.Data.Validation;
using Keel.Tabular.Chunks;
using Keel.Testing;

namespace Keel.Data.Tests.Validation;

public sealed class SuiteTests
{
    private const string Data = """
        id,amount,country,email,score
        1,10.5,de,a@x.org,0.1
        2,,fr,b@x.org,0.2
        3,250,xx,not-an-email,0.3
        4,20,de,d@x.org,0.4
        4,30,es,e@x.org,oops
        """;

    private static async Task<ValidationReport> ValidateAsync(string yaml, string csv, TableProfile? reference = null)
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("data.csv");
        await File.WriteAllTextAsync(path, csv.ReplaceLineEndings("\n") + "\n");
        var (report, _) = await SuiteValidator.ValidateAsync(
            ExpectationSuite.Parse(yaml), ct => TableChunkReader.OpenAsync(path, cancellationToken: ct), "data.csv", reference, null, CancellationToken.None);
        return report;
    }

    private static RuleResult Rule(ValidationReport report, string column, string rule) =>
        report.Results.Single(r => r.Column == column && r.Rule == rule);

    [Fact]
    public async Task Each_rule_reports_pass_or_fail_with_the_failing_rows_count_and_sample()
    {
        var report = await ValidateAsync("""
            name: orders
            row_count: {min: 1, max: 4}
            allow_extra_columns: false
            columns:
              id: {type: long, unique: true}
              amount: {type: double, not_null: true, min: 0, max: 100, max_missing_share: 0.1, mean: {min: 5, max: 50}}
              country: {allowed_values: [de, fr, es]}
              email: {regex: '^[^@]+@[^@]+$', max_length: 10}
              score: {type: double}
              missing_column: {type: string}
            """, Data);

        Assert.False(report.Success);
        Assert.Equal(5, report.RowCount);
        Assert.False(Rule(report, "id", "unique").Passed);
        Assert.Equal([new FailingRow(4, "4")], Rule(report, "id", "unique").Sample);
        Assert.True(Rule(report, "id", "type").Passed);
        var notNull = Rule(report, "amount", "not_null");
        Assert.Equal(1, notNull.FailingRows);
        Assert.Equal([new FailingRow(1, null)], notNull.Sample);
        Assert.Equal([new FailingRow(2, "250")], Rule(report, "amount", "range").Sample);
        Assert.False(Rule(report, "amount", "max_missing_share").Passed);
        Assert.Equal("0.2 (1 missing)", Rule(report, "amount", "max_missing_share").Observed);
        Assert.False(Rule(report, "amount", "mean").Passed);
        Assert.Equal([new FailingRow(2, "xx")], Rule(report, "country", "allowed_values").Sample);
        Assert.Equal([new FailingRow(2, "not-an-email")], Rule(report, "email", "regex").Sample);
        Assert.Equal(1, Rule(report, "email", "length").FailingRows);
        var type = Rule(report, "score", "type");
        Assert.False(type.Passed);
        Assert.Equal("string: 1 values do not fit", type.Observed);
        Assert.Equal([new FailingRow(4, "oops")], type.Sample);
        Assert.False(Rule(report, "missing_column", "present").Passed);
        Assert.False(report.Results.Single(r => r.Rule == "row_count").Passed);
        Assert.True(report.Results.Single(r => r.Rule == "no_extra_columns").Passed);
        Assert.Equal(report.Results.Count(r => !r.Passed), report.RulesFailed);

        var html = report.ToHtml();
        Assert.Contains("<span class=\"badge bad\">failed</span>", html, StringComparison.Ordinal);
        Assert.Contains("not-an-email", html, StringComparison.Ordinal);
        Assert.Equal(report.ToJson(), ValidationReport.FromJson(report.ToJson()).ToJson());
    }

    [Fact]
    public async Task Drift_checks_compare_with_a_reference_profile()
    {
        using var folder = new TempDirectory();
        var reference = await TableProfiler.ProfileAsync(ct => TableChunkReader.OpenAsync(RepositoryFiles.SharedFixture("drift_reference.csv"), cancellationToken: ct));
        var suite = ExpectationSuite.Parse("""
            columns:
              stable: {drift: {method: psi, threshold: 0.1}}
              amount: {drift: {method: psi, threshold: 0.1}}
              age: {drift: {method: ks, threshold: 0.05}}
              score: {drift: {method: mean_shift, threshold: 0.05}}
              country: {drift: {method: psi, threshold: 0.1}}
            """);

        var (report, _) = await SuiteValidator.ValidateAsync(
            suite, ct => TableChunkReader.OpenAsync(RepositoryFiles.SharedFixture("drift_current.csv"), cancellationToken: ct), "current", reference, null, CancellationToken.None);

        // drift_expected.json: stable does not drift; amount's PSI is the fixture's value.
        using var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryFiles.SharedFixture("drift_expected.json")));
        var psi = (string column) => expected.RootElement.GetProperty("columns").GetProperty(column).GetProperty("psi").GetDouble();
        Assert.True(Rule(report, "stable", "drift").Passed);
        Assert.False(Rule(report, "amount", "drift").Passed);
        Assert.Equal($"psi = {psi("amount").ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}", Rule(report, "amount", "drift").Observed);
        Assert.Equal($"psi = {psi("country").ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}", Rule(report, "country", "drift").Observed);
        Assert.False(Rule(report, "age", "drift").Passed);
        Assert.False(Rule(report, "score", "drift").Passed);
    }

    [Theory]
    [InlineData("columns: {a: {tpye: long}}", "columns.a: unknown field 'tpye'")]
    [InlineData("columns: {a: {type: int}}", "columns.a.type: 'int' is not one of")]
    [InlineData("columns: {a: {min: 5, max: 1}}", "columns.a: min (5) is above max (1)")]
    [InlineData("columns: {a: {min: lots}}", "columns.a.min: 'lots' is not a number")]
    [InlineData("columns: {a: {regex: '('}}", "columns.a.regex: '(' is not a regular expression")]
    [InlineData("on_add: maybe", "on_add: 'maybe' is not one of refuse, warn")]
    [InlineData("columns: {a: {drift: {method: kl}}}", "columns.a.drift.method: 'kl' is not one of psi, ks, mean_shift")]
    [InlineData("columns: [a, b", "not valid YAML")]
    public void A_bad_suite_is_an_error_naming_the_field_and_the_rule(string yaml, string message)
    {
        var error = Assert.Throws<KeelException>(() => ExpectationSuite.Parse(yaml));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inferred_suite_passes_on_its_own_data_and_reads_back_from_its_yaml()
    {
        var path = RepositoryFiles.SharedFixture("drift_reference.csv");
        var profile = await TableProfiler.ProfileAsync(ct => TableChunkReader.OpenAsync(path, cancellationToken: ct));
        var suite = SuiteInference.FromProfile(profile, "drift's reference", "ref@1");

        var yaml = suite.ToYaml();
        var back = ExpectationSuite.Parse(yaml);
        var (report, _) = await SuiteValidator.ValidateAsync(back, ct => TableChunkReader.OpenAsync(path, cancellationToken: ct), "ref", profile, null, CancellationToken.None);

        Assert.Equal(yaml, back.ToYaml());
        Assert.Equal("drift's reference", back.Name);
        Assert.Equal(["de", "es", "fr", "it"], back.Columns.Single(c => c.Name == "country").AllowedValues);
        Assert.True(report.Success, string.Join("\n", report.Results.Where(r => !r.Passed).Select(r => $"{r.Column} {r.Rule}: {r.Observed}")));
        Assert.Contains(report.Results, r => r.Rule == "drift");
    }

    [Fact]
    public async Task A_big_table_checked_column_by_column_on_every_core_gives_the_rows_in_order()
    {
        // 60,000 rows in chunks of 20,000 (80,000 cells, over TableProfiler.ParallelCells): the
        // columns are profiled and checked in parallel; near-unique e-mails drop the regex cache.
        using var folder = new TempDirectory();
        var path = folder.Combine("big.csv");
        var csv = new System.Text.StringBuilder("id,code,email,amount\n");
        for (var row = 0; row < 60_000; row++)
        {
            var id = row == 45_000 ? 7 : row;
            var code = row == 30_001 ? "c-x" : $"c-{row % 10}";
            var email = row is 10 or 50_000 ? $"user{row}@elsewhere.org" : $"user{row}@example.com";
            csv.Append(System.FormattableString.Invariant($"{id},{code},{email},{row % 1000 * 0.5}\n"));
        }

        await File.WriteAllTextAsync(path, csv.ToString());
        var suite = ExpectationSuite.Parse("""
            columns:
              id: {unique: true}
              code: {regex: '^c-[0-9]$'}
              email: {regex: '^user[0-9]+@example\.com$'}
              amount: {max: 400}
            """);

        var (report, profile) = await SuiteValidator.ValidateAsync(
            suite, ct => TableChunkReader.OpenAsync(path, 20_000, ct), "big.csv", null, null, CancellationToken.None);
        var serial = await TableProfiler.ProfileAsync(ct => TableChunkReader.OpenAsync(path, 1_000, ct));

        Assert.Equal([new FailingRow(45_000, "7")], Rule(report, "id", "unique").Sample);
        Assert.Equal([new FailingRow(30_001, "c-x")], Rule(report, "code", "regex").Sample);
        Assert.Equal([new FailingRow(10, "user10@elsewhere.org"), new FailingRow(50_000, "user50000@elsewhere.org")], Rule(report, "email", "regex").Sample);
        var range = Rule(report, "amount", "range");
        Assert.Equal(60 * 199, range.FailingRows);
        Assert.Equal([801L, 802, 803, 804, 805], range.Sample!.Select(r => r.Row));
        Assert.Equal(serial.ToJson(), profile.ToJson());
    }
}
