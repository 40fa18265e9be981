using System.Globalization;
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
        await Expect(page.Locator("table[aria-label=Metrics] tr[data-differs=true]")).ToContainTextAsync("accuracy");
        await Expect(page.Locator("table[aria-label=Parameters] tr[data-differs=true]")).ToHaveCountAsync(0);
        await UiFixture.ScreenshotAsync(page, "compare");
        await page.GoBackAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "run-26" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "run-26" })).ToBeVisibleAsync();
        var parameters = page.Locator("table[aria-label=Parameters]");
        await Expect(parameters).ToContainTextAsync("tree");
        await Expect(page.Locator("table[aria-label=Metrics]")).ToContainTextAsync((0.76).ToString(CultureInfo.InvariantCulture));
        await UiFixture.ScreenshotAsync(page, "run");
    }

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
