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
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        var revisions = page.Locator("table[aria-label=Revisions] tbody tr");
        await Expect(revisions).ToHaveCountAsync(2);
        await Expect(page.Locator("table[aria-label=Routes]")).ToContainTextAsync($"models:/{model}/2");
        await UiFixture.ScreenshotAsync(page, "deployment");

        await page.GetByRole(AriaRole.Button, new() { Name = "Roll back to revision 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Rolled back to revision 1.");
        await Expect(revisions).ToHaveCountAsync(3);
        await Expect(page.Locator("table[aria-label=Routes]")).ToContainTextAsync($"models:/{model}/1");
        Assert.Equal($"models:/{model}/1", (await fixture.Client.GetDeploymentAsync(name)).Spec.Routes[0].ModelUri);
    }
}
