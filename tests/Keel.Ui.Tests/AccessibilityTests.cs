using Deque.AxeCore.Playwright;
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
            var results = await page.RunAxe();
            var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
            Assert.True(serious.Count == 0, $"{url}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target))}")));
        }
    }
}
