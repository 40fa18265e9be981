using System.Text;
using Keel.Client.Models;
using Keel.Core.Deployments;
using Keel.Monitoring.Monitors;
using Keel.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>The monitoring pages: monitors and alert rules, a monitor's windows, running one, and the per-feature drill-down.</summary>
public sealed class MonitoringPagesTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_person_opens_a_monitor_runs_a_window_and_drills_into_its_features()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var model = "ui-iris-" + suffix;
        await using (var run = await fixture.Client.StartRunAsync("ui-monitoring-" + suffix))
        {
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = model });
        }

        var dataset = "ui-iris-data-" + suffix;
        await fixture.Client.AddDatasetVersionAsync(dataset, RepositoryFiles.SharedFixture("iris.csv"));
        var deployment = "ui-watched-" + suffix;
        await fixture.Client.CreateDeploymentAsync(deployment, new DeploymentSpec([new RouteSpec("primary", $"models:/{model}/1", 100)], null, null, InferenceLogSpec.Default, null));
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        var body = """{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, {"sepal_length": 6.2, "sepal_width": 2.9, "petal_length": 4.3, "petal_width": 1.3}]}""";
        for (var i = 0; i < 5; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                using var response = await http.PostAsync($"/deployments/{deployment}/invocations", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.IsSuccessStatusCode || watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    Assert.True(response.IsSuccessStatusCode);
                    break;
                }

                await Task.Delay(100);
            }
        }

        var name = "ui-watch-" + suffix;
        await fixture.Client.CreateMonitorAsync(name, new MonitorSpec { Deployment = deployment, Reference = new MonitorReference { Dataset = dataset }, ScheduleSeconds = 0 });
        await fixture.Client.CreateAlertRuleAsync(name + "-drift", new Keel.Monitoring.Alerts.AlertRuleSpec { Monitor = name, Metric = "drift_share", Comparison = ">=", Threshold = 0.5 });
        var logged = System.Diagnostics.Stopwatch.StartNew();
        while ((await fixture.Client.SearchInferenceLogAsync(deployment)).Count < 5 && logged.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        await fixture.Client.RunMonitorAsync(name);

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/monitors");
        await Expect(page.Locator("table[aria-label='Alert rules']")).ToContainTextAsync($"monitor {name} drift_share >= 0.5");
        await page.GetByLabel("Search alert rules").FillAsync(name + "-drift");
        await Expect(page.Locator("table[aria-label='Alert rules'] tbody tr:not([hidden])")).ToHaveCountAsync(1);
        Assert.Contains("rules=", page.Url, StringComparison.Ordinal);
        await UiFixture.ScreenshotAsync(page, "monitors");
        await page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        var windows = page.Locator("table[aria-label=Windows] tbody tr");
        await Expect(windows).ToHaveCountAsync(1);
        await Expect(windows.First).ToContainTextAsync("10"); // five requests of two rows

        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
        await Expect(windows).ToHaveCountAsync(2);
        await UiFixture.ScreenshotAsync(page, "monitor");

        await Expect(page.Locator("figure[aria-label='Drift over time'][data-ready=true]")).ToBeVisibleAsync();
        await Expect(page.Locator("table[aria-label=Features] tbody tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("main")).ToContainTextAsync("Alerts on this monitor");
        await UiFixture.AssertAccessibleAsync(page);
        var monitorUrl = page.Url;

        // The rule's own page: its state, the metric against the threshold, the events it raised.
        await fixture.Client.EvaluateAlertsAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = name + "-drift" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name + "-drift" })).ToBeVisibleAsync();
        await Expect(page.Locator("#alert-state")).ToContainTextAsync("firing since");
        await Expect(page.Locator("figure[aria-label='drift_share against the threshold'][data-ready=true]")).ToBeVisibleAsync();
        await Expect(page.Locator("table[aria-label=Events] tbody tr").First).ToContainTextAsync("firing");
        await UiFixture.ScreenshotAsync(page, "alert");
        await UiFixture.AssertAccessibleAsync(page);
        await page.GotoAsync(monitorUrl);

        await windows.First.GetByRole(AriaRole.Link, new() { Name = "features" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "petal_length" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "petal_length" })).ToBeVisibleAsync();
        await Expect(page.Locator("#feature-verdict")).ToContainTextAsync("by ks");
        var histogram = page.Locator("figure[aria-label='Reference vs current: petal_length'][data-ready=true]");
        await Expect(histogram).ToBeVisibleAsync();
        await Expect(histogram.Locator(".u-legend")).ToContainTextAsync("reference (150 rows)");
        await Expect(histogram.Locator(".u-legend")).ToContainTextAsync("current (10 rows)");
        await Expect(page.Locator("figure[aria-label='petal_length over time'][data-ready=true]")).ToBeVisibleAsync();
        Assert.Contains("window=", page.Url, StringComparison.Ordinal);
        await UiFixture.ScreenshotAsync(page, "monitor-feature");
        await UiFixture.AssertAccessibleAsync(page);
    }
}
