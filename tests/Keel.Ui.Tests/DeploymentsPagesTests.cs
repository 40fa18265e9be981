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
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var model = "ui-deploy-iris-" + suffix;
        for (var i = 0; i < 2; i++)
        {
            await using var run = await fixture.Client.StartRunAsync("ui-deploy-" + suffix);
            await run.LogOnnxModelAsync(RepositoryFiles.SharedFixture("iris_forest.onnx"), "model", new LogModelOptions { RegisteredModelName = model });
        }

        var name = "ui-deploy-" + suffix;
        DeploymentSpec Spec(int version) => new([new RouteSpec("primary", $"models:/{model}/{version}", 100)], null, null, InferenceLogSpec.Default, null);
        await fixture.Client.CreateDeploymentAsync(name, Spec(1));
        await fixture.Client.UpdateDeploymentAsync(name, Spec(2), message: "version 2 for everyone");

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/deployments");
        await page.GetByLabel("Search deployments").FillAsync(suffix);
        await Expect(page.Locator("table[aria-label=Deployments] tbody tr:not([hidden])")).ToHaveCountAsync(1);
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
}
