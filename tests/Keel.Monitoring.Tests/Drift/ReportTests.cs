using Keel.Monitoring.Reports;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Monitoring.Tests.Drift;

/// <summary>Reports over two files: drift, target and prediction drift, and quality beside each other.</summary>
public sealed class ReportTests
{
    [Fact]
    public async Task A_classification_report_has_quality_on_both_sides_and_the_prediction_s_drift()
    {
        var predictions = await TableReader.ReadAsync(RepositoryFiles.SharedFixture("classification_predictions.csv"));
        var options = new ReportOptions { Target = "y_true", Prediction = "y_pred" };
        var report = ReportBuilder.Build(predictions, predictions, "a", "b", options, TimeProvider.System);
        Assert.Equal("classification", report.Quality!.Task);
        Assert.Equal(report.Quality.Reference!["accuracy"], report.Quality.Current!["accuracy"]);
        Assert.Equal(0.7855, report.Quality.Current["accuracy"], 12);
        Assert.False(report.PredictionDrift!.Drifted);
        Assert.DoesNotContain(report.DataDrift.Features, f => f.Name is "y_true" or "y_pred");

        var roundTrip = MonitoringReport.FromJson(report.ToJson());
        Assert.Equal(report.DataDrift.FeatureCount, roundTrip.DataDrift.FeatureCount);
        Assert.Equal(report.Quality.Current["f1_macro"], roundTrip.Quality!.Current!["f1_macro"]);
    }

    [Fact]
    public async Task A_regression_report_is_chosen_for_a_float_target_and_renders_without_scripts()
    {
        var predictions = await TableReader.ReadAsync(RepositoryFiles.SharedFixture("regression_predictions.csv"));
        var report = ReportBuilder.Build(predictions, predictions, "ref.csv", "cur.csv", new ReportOptions { Target = "y_true", Prediction = "y_pred" }, TimeProvider.System);
        Assert.Equal("regression", report.Quality!.Task);
        Assert.True(report.Quality.Current!.ContainsKey("rmse"));
        var html = ReportHtml.Render(report);
        Assert.Contains("Model quality (regression)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_target_that_is_not_a_column_is_refused_by_name()
    {
        var table = await DriftFixtureTests.Reference();
        var error = Assert.Throws<ArgumentException>(() => ReportBuilder.Build(table, table, "a", "b", new ReportOptions { Target = "label" }, TimeProvider.System));
        Assert.Contains("target: 'label'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_and_categories_are_escaped_in_the_html()
    {
        var reference = new Table(new StringColumn("<b>c</b>", [.. Enumerable.Repeat("<script>x</script>", 10)]));
        var report = ReportBuilder.Build(reference, reference, "a", "b", new ReportOptions(), TimeProvider.System);
        var html = ReportHtml.Render(report);
        Assert.DoesNotContain("<script>x", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;c&lt;/b&gt;", html, StringComparison.Ordinal);
    }
}
