using Keel.Client.Models;
using Keel.Core.Deployments;
using Keel.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>The deployment pages: routes and revisions, and a rollback done from the page.</summary>
public sealed class DeploymentsPagesTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_person_rolls_a_deployment_back_to_an_earlier_revision()
    {
        var (suffix, model) = await RegisterIrisAsync("ui-deploy", versions: 2);

        var name = "ui-deploy-" + suffix;
        DeploymentSpec Spec(int version) => new([new RouteSpec("primary", $"models:/{model}/{version}", 100)], null, null, InferenceLogSpec.Default, null);
        await fixture.Client.CreateDeploymentAsync(name, Spec(1));
        await fixture.Client.UpdateDeploymentAsync(name, Spec(2), message: "version 2 for everyone");

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/deployments");
        await page.GetByLabel("Search deployments").FillAsync(suffix);
        await Expect(page.Locator("table[aria-label=Deployments] tbody tr:not([hidden])")).ToHaveCountAsync(1);
        await UiFixture.ScreenshotAsync(page, "deployments");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        var revisions = page.Locator("table[aria-label=Revisions] tbody tr");
        await Expect(revisions).ToHaveCountAsync(2);
        await Expect(page.Locator("table[aria-label=Routes]")).ToContainTextAsync($"models:/{model}/2");

        await page.GetByRole(AriaRole.Button, new() { Name = "Roll back to revision 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Rolled back to revision 1.");
        await Expect(revisions).ToHaveCountAsync(3);
        await Expect(page.Locator("table[aria-label=Routes]")).ToContainTextAsync($"models:/{model}/1");
        Assert.Equal($"models:/{model}/1", (await fixture.Client.GetDeploymentAsync(name)).Spec.Routes[0].ModelUri);

        // Live traffic: requests sent now show up in the charts fed by /metrics.
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        var body = """{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}""";
        var sent = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (sent < 20 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await http.PostAsync($"/deployments/{name}/invocations", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            sent += response.IsSuccessStatusCode ? 1 : 0;
        }

        Assert.Equal(20, sent);
        var live = page.Locator("#live-status");
        await Expect(live).ToHaveAttributeAsync("data-requests", new System.Text.RegularExpressions.Regex("^(2[0-9]|[3-9][0-9]|[0-9]{3,})$"), new() { Timeout = 15_000 });
        await Expect(page.Locator("figure[aria-label='Requests per second'][data-ready=true]")).ToBeVisibleAsync();
        await Expect(page.Locator("figure[aria-label=Latency][data-ready=true]")).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "deployment");
        await UiFixture.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task A_deployment_in_a_rollout_shows_its_steps_its_gates_and_its_shadow()
    {
        var (suffix, model) = await RegisterIrisAsync("ui-rollout", versions: 3);

        var name = "ui-rollout-" + suffix;
        await fixture.Client.CreateDeploymentAsync(name, new DeploymentSpec(
            [new RouteSpec("primary", $"models:/{model}/1", 100)], new ShadowSpec($"models:/{model}/3", 0.5), null, InferenceLogSpec.Default, null));
        await fixture.Client.UpdateDeploymentAsync(name, rollout: new RolloutSpec($"models:/{model}/2",
            [new RolloutStep(25, null, 1_000_000), new RolloutStep(100, null, null)], new RolloutGates(0.01, 2, 50)));

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/#/deployments/{name}");
        var steps = page.GetByRole(AriaRole.List, new() { Name = "Rollout steps" });
        await Expect(page.Locator("main")).ToContainTextAsync($"Rolling out models:/{model}/2: running at step 1 of 2");
        await Expect(steps.Locator("li")).ToHaveCountAsync(2);
        await Expect(steps.Locator("li[aria-current=step]")).ToContainTextAsync("25 % of the traffic, at least 1000000 requests");
        await Expect(page.Locator("main")).ToContainTextAsync("p99 may grow ×2, judged after 50 requests");
        await Expect(page.GetByText("No gate decision yet.")).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToContainTextAsync($"models:/{model}/3 gets a copy of 50 % of the traffic.");
        var routes = page.Locator("table[aria-label=Routes] tbody tr");
        await Expect(routes).ToHaveCountAsync(2);
        await Expect(routes.Nth(0)).ToContainTextAsync("75 %");
        await Expect(routes.Nth(1).Locator("td").First).ToHaveTextAsync("rollout");
        await Expect(routes.Nth(1)).ToContainTextAsync("25 %");
        await UiFixture.AssertAccessibleAsync(page);
    }

    /// <summary>A registered model with VERSIONS versions of the iris forest, each from its own run.</summary>
    private async Task<(string Suffix, string Model)> RegisterIrisAsync(string prefix, int versions)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var model = $"{prefix}-iris-{suffix}";
        for (var i = 0; i < versions; i++)
        {
            await using var run = await fixture.Client.StartRunAsync($"{prefix}-{suffix}");
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = model });
        }

        return (suffix, model);
    }
}
