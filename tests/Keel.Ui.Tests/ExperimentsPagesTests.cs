using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>The experiments list, the runs table of an experiment and a run's page, driven as a person would.</summary>
public sealed class ExperimentsPagesTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_person_finds_an_experiment_filters_and_sorts_its_runs_and_opens_one()
    {
        var experiment = "ui-tour-" + Guid.NewGuid().ToString("N")[..6];
        var experimentId = await fixture.Client.CreateExperimentAsync(experiment);
        for (var i = 0; i < 30; i++)
        {
            await using var run = await fixture.Client.StartRunAsync(experimentId, runName: $"run-{i:D2}");
            await run.LogParamAsync("model", i % 2 == 0 ? "tree" : "linear");
            run.LogMetric("accuracy", 0.5 + (i / 100.0));
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("Search experiments").FillAsync(experiment[..10]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = experiment }).ClickAsync();

        var rows = page.Locator("table[aria-label=Runs] tbody tr");
        await Expect(rows).ToHaveCountAsync(30);
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "accuracy" })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "runs");

        await page.GetByLabel("Filter runs").FillAsync("metrics.accuracy > 0.75 and params.model = 'tree'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2); // runs 26 and 28
        Assert.Contains("filter=", page.Url, StringComparison.Ordinal); // the filtered view has its own URL

        await page.GetByRole(AriaRole.Button, new() { Name = "accuracy" }).ClickAsync();
        await Expect(rows.First).ToContainTextAsync("run-28");
        await page.GetByRole(AriaRole.Button, new() { Name = "accuracy ▼" }).ClickAsync();
        await Expect(rows.First).ToContainTextAsync("run-26");

        // Compare the two remaining runs: the model is the same, the accuracy differs.
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Select run-26" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Select run-28" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare selected" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Compare 2 runs" })).ToBeVisibleAsync();
        var compareUrl = page.Url;
        await Expect(page.Locator("table[aria-label=Metrics] tr[data-differs=true]")).ToContainTextAsync("accuracy");
        await Expect(page.Locator("table[aria-label=Parameters] tr[data-differs=true]")).ToHaveCountAsync(0);
        await Expect(page.Locator("figure[aria-label='accuracy by run'][data-ready=true]")).ToBeVisibleAsync();
        await Expect(page.Locator("figure[aria-label='accuracy by run'] .u-legend")).ToContainTextAsync("run-26");
        await Expect(page.Locator("figure[aria-label='accuracy against model'][data-ready=true]")).ToBeVisibleAsync();
        var parallel = page.Locator("figure[aria-label='Parameters and accuracy']");
        await Expect(parallel.Locator("polyline")).ToHaveCountAsync(2);
        await Expect(parallel.Locator("polyline[data-run=run-28]")).ToHaveCountAsync(1);
        await UiFixture.ScreenshotAsync(page, "compare");
        await UiFixture.AssertAccessibleAsync(page);

        // MLflow's compare address (a JSON list of run ids) opens the same comparison.
        var ids = Uri.UnescapeDataString(compareUrl[(compareUrl.IndexOf("runs=", StringComparison.Ordinal) + 5)..].Split('&')[0]).Split(',');
        var mlflowShaped = await fixture.NewPageAsync();
        await mlflowShaped.GotoAsync("/#/compare-runs?runs=" + Uri.EscapeDataString(System.Text.Json.JsonSerializer.Serialize(ids)) + "&experiments=" + Uri.EscapeDataString($"[\"{experimentId}\"]"));
        await Expect(mlflowShaped.GetByRole(AriaRole.Heading, new() { Name = "Compare 2 runs" })).ToBeVisibleAsync();
        await page.GoBackAsync();
        await Expect(rows).ToHaveCountAsync(2);

        await rows.GetByRole(AriaRole.Link, new() { Name = "run-26" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "run-26" })).ToBeVisibleAsync();
        var parameters = page.Locator("table[aria-label=Parameters]");
        await Expect(parameters).ToContainTextAsync("tree");
        await Expect(page.Locator("table[aria-label=Metrics]")).ToContainTextAsync((0.76).ToString(CultureInfo.InvariantCulture));
        UiFixture.AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task The_column_picker_chooses_the_columns_of_the_runs_table_and_the_url_keeps_them()
    {
        var experimentId = await fixture.Client.CreateExperimentAsync("ui-columns-" + Guid.NewGuid().ToString("N")[..6]);
        await using (var run = await fixture.Client.StartRunAsync(experimentId, runName: "wide"))
        {
            await run.LogParamAsync("depth", "4");
            run.LogMetric("accuracy", 0.9);
            run.LogMetric("loss", 0.1);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/#/experiments/{experimentId}");
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "loss" })).ToBeVisibleAsync();
        await page.GetByText("Columns (3 shown)").ClickAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "loss" }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show these columns" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "loss" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "accuracy" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "depth (param)" })).ToBeVisibleAsync();
        Assert.Contains("cols=", page.Url, StringComparison.Ordinal);

        // The URL alone brings the same columns back (a link someone else opens).
        var other = await fixture.NewPageAsync();
        await other.GotoAsync(page.Url);
        await Expect(other.GetByRole(AriaRole.Columnheader, new() { Name = "accuracy" })).ToBeVisibleAsync();
        await Expect(other.GetByRole(AriaRole.Columnheader, new() { Name = "loss" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_run_page_charts_a_metric_history_by_step_or_time_with_smoothing_and_log_scale()
    {
        string runId;
        await using (var run = await fixture.Client.StartRunAsync("ui-history-" + Guid.NewGuid().ToString("N")[..6], runName: "long"))
        {
            runId = run.RunId;
            var start = TimeProvider.System.GetUtcNow().AddHours(-1);
            for (var step = 0; step < 1000; step++)
            {
                run.LogMetric("loss", 1.0 / (1 + step), step, start.AddSeconds(step));
            }

            run.LogMetric("accuracy", 0.8);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/#/runs/{runId}");
        // The first metric by name is charted; its history is the whole series.
        await Expect(page.Locator("figure[aria-label=accuracy][data-ready=true]")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Chart of loss" }).ClickAsync();
        var chart = page.Locator("figure[aria-label=loss][data-ready=true]");
        await Expect(chart).ToHaveAttributeAsync("data-points", "1000");
        await Expect(chart).ToContainTextAsync("1,000 points, x: step");

        await page.GetByLabel("x axis").SelectOptionAsync("time");
        await Expect(page.Locator("figure[aria-label=loss]")).ToContainTextAsync("x: wall time");
        await page.GetByLabel("log scale").CheckAsync();
        await Expect(page.Locator("figure[aria-label=loss]")).ToContainTextAsync("log scale");
        await page.GetByLabel("Smoothing").EvaluateAsync("(e) => { e.value = '0.6'; e.dispatchEvent(new Event('change')); }");
        await Expect(page.Locator("figure[aria-label=loss] .u-legend")).ToContainTextAsync("smoothed 0.60");
        Assert.Contains("x=time", page.Url, StringComparison.Ordinal);
        Assert.Contains("log=1", page.Url, StringComparison.Ordinal);
        Assert.Contains("smooth=0.6", page.Url, StringComparison.Ordinal);
        await UiFixture.ScreenshotAsync(page, "run");

        // The same URL opens the same chart.
        var other = await fixture.NewPageAsync();
        await other.GotoAsync(page.Url);
        await Expect(other.Locator("figure[aria-label=loss][data-ready=true]")).ToContainTextAsync("x: wall time, log scale");
        await UiFixture.AssertAccessibleAsync(other);
    }

    [Fact]
    public async Task The_artifacts_browser_previews_text_json_csv_and_images_and_downloads_them()
    {
        string runId;
        await using (var run = await fixture.Client.StartRunAsync("ui-artifacts-" + Guid.NewGuid().ToString("N")[..6], runName: "with-files"))
        {
            runId = run.RunId;
            async Task Upload(string path, byte[] content)
            {
                using var stream = new MemoryStream(content);
                await fixture.Client.UploadArtifactAsync(run.RunId, path, stream);
            }

            await Upload("notes.txt", Encoding.UTF8.GetBytes("trained on the full set\n"));
            await Upload("eval/metrics.json", Encoding.UTF8.GetBytes("{\"auc\":0.93,\"classes\":[\"a\",\"b\"]}"));
            await Upload("eval/predictions.csv", Encoding.UTF8.GetBytes("id,label,\"note, quoted\"\n1,a,\"x, y\"\n2,b,z\n"));
            await Upload("plot.png", Convert.FromBase64String(OnePixelPng));
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/#/runs/{runId}");
        var tree = page.GetByRole(AriaRole.Tree, new() { Name = "Artifact files" });
        var preview = page.Locator("#artifact-preview");
        await tree.GetByRole(AriaRole.Button, new() { Name = "notes.txt" }).ClickAsync();
        await Expect(preview).ToContainTextAsync("trained on the full set");

        await tree.GetByRole(AriaRole.Button, new() { Name = "eval/" }).ClickAsync();
        await tree.GetByRole(AriaRole.Button, new() { Name = "metrics.json" }).ClickAsync();
        await Expect(preview.Locator("pre")).ToContainTextAsync("\"auc\": 0.93");
        await tree.GetByRole(AriaRole.Button, new() { Name = "predictions.csv" }).ClickAsync();
        await Expect(preview.GetByRole(AriaRole.Columnheader, new() { Name = "note, quoted" })).ToBeVisibleAsync();
        await Expect(preview.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(preview.Locator("tbody tr").First).ToContainTextAsync("x, y");
        Assert.Contains("artifact=eval", page.Url, StringComparison.Ordinal);

        await tree.GetByRole(AriaRole.Button, new() { Name = "plot.png" }).ClickAsync();
        var image = preview.GetByRole(AriaRole.Img, new() { Name = "plot.png" });
        await Expect(image).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#artifact-preview img')?.naturalWidth === 1");

        var download = await preview.GetByRole(AriaRole.Link, new() { Name = "Download" }).GetAttributeAsync("href");
        var response = await page.APIRequest.GetAsync(download!);
        Assert.Equal(200, response.Status);
        Assert.Contains("attachment", response.Headers["content-disposition"], StringComparison.Ordinal);
        Assert.Equal(Convert.FromBase64String(OnePixelPng), await response.BodyAsync());
        await UiFixture.ScreenshotAsync(page, "artifacts");
        await UiFixture.AssertAccessibleAsync(page);

        // A link copied from MLflow's own UI opens the same run and file here.
        var experimentId = (await fixture.Client.GetRunAsync(runId)).Info.ExperimentId;
        var copied = await fixture.NewPageAsync();
        await copied.GotoAsync($"/#/experiments/{experimentId}/runs/{runId}/artifactPath/eval/metrics.json");
        await Expect(copied.Locator("#artifact-preview pre")).ToContainTextAsync("\"auc\": 0.93");
        await copied.GotoAsync($"/#/experiments/{experimentId}/runs/{runId}/model-metrics");
        await Expect(copied.GetByRole(AriaRole.Heading, new() { Name = "with-files" })).ToBeVisibleAsync();
        UiFixture.AssertNoScriptErrors(copied);
    }

    private const string OnePixelPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    [Fact]
    public async Task An_api_error_reads_as_a_message_not_a_blank_page()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/experiments/987654321");
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToBeVisibleAsync();
        await Expect(alert).ToContainTextAsync("RESOURCE_DOES_NOT_EXIST");

        await page.GotoAsync("/#/experiments/1?filter=" + Uri.EscapeDataString("metrics.accuracy >>> 1"));
        await Expect(alert).ToContainTextAsync("INVALID_PARAMETER_VALUE");

        // From a page that worked to one that fails: the error, not the previous page's content.
        await page.GotoAsync("/#/experiments");
        await Expect(page.Locator("table[aria-label=Experiments]")).ToBeVisibleAsync();
        await Expect(alert).ToBeHiddenAsync();
        await page.GotoAsync("/#/runs/" + new string('0', 32));
        await Expect(alert).ToContainTextAsync("RESOURCE_DOES_NOT_EXIST");
        await Expect(page.Locator("table[aria-label=Experiments]")).ToHaveCountAsync(0);
        await Expect(page.Locator("main")).ToContainTextAsync("Nothing to show.");
        UiFixture.AssertNoScriptErrors(page);
    }

    [Fact]
    public async Task The_experiments_page_lists_the_experiments()
    {
        var name = "ui-list-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Client.CreateExperimentAsync(name);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/experiments");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = name })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Default" })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "experiments");
    }
}
