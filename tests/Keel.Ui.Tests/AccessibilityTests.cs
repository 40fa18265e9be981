using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>axe-core, inside the Playwright run, finds no serious or critical violation on the main pages.</summary>
public sealed class AccessibilityTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task The_experiments_runs_and_run_pages_have_no_serious_accessibility_violations()
    {
        var experimentId = await fixture.Client.CreateExperimentAsync("a11y-" + Guid.NewGuid().ToString("N")[..6]);
        string runId;
        await using (var run = await fixture.Client.StartRunAsync(experimentId, runName: "checked"))
        {
            runId = run.RunId;
            await run.LogParamAsync("depth", "3");
            run.LogMetric("loss", 0.25);
        }

        var page = await fixture.NewPageAsync();
        foreach (var (url, ready) in new[]
        {
            ("/#/experiments", "Experiments"),
            ($"/#/experiments/{experimentId}", "checked"),
            ($"/#/runs/{runId}", "Parameters"),
            ("/#/models", "Registered models"),
            ("/#/monitors", "Monitors"),
            ("/#/deployments", "Deployments"),
            ("/#/datasets", "Datasets"),
        })
        {
            await page.GotoAsync(url);
            await Expect(page.Locator("main")).ToContainTextAsync(ready);
            await UiFixture.AssertAccessibleAsync(page);
        }
    }

    [Fact]
    public async Task A_keyboard_user_follows_a_link_and_lands_on_the_new_page_content()
    {
        var name = "keys-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Client.CreateExperimentAsync(name);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/experiments");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Breadcrumb" }).GetByRole(AriaRole.Link, new() { Name = "Experiments" })).ToBeFocusedAsync();

        // Changing a setting of the same page keeps the focus where it is.
        await page.GetByLabel("Filter runs").FillAsync("metrics.x > 1");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByLabel("Filter runs")).ToHaveValueAsync("metrics.x > 1");
        await Expect(page.Locator("main")).Not.ToBeFocusedAsync();
    }
}
