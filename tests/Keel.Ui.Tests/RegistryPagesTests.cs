using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>The registry pages: find a model, see its versions and their source runs, set and remove an alias.</summary>
public sealed class RegistryPagesTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_person_sets_an_alias_on_a_version_and_removes_it()
    {
        var name = "ui-model-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Client.CreateRegisteredModelAsync(name);
        var experimentId = await fixture.Client.CreateExperimentAsync(name + "-runs");
        var runIds = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            await using var run = await fixture.Client.StartRunAsync(experimentId, runName: $"train-{i}");
            runIds.Add(run.RunId);
            await fixture.Client.CreateModelVersionAsync(name, $"runs:/{run.RunId}/model", run.RunId);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/models");
        await page.GetByLabel("Search models").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        var versions = page.Locator("table[aria-label=Versions] tbody tr");
        await Expect(versions).ToHaveCountAsync(2);
        await Expect(versions.First).ToContainTextAsync("version 2");
        await Expect(versions.First.GetByRole(AriaRole.Link)).ToHaveTextAsync(runIds[1][..8]);

        await page.GetByRole(AriaRole.Textbox, new() { Name = "Alias", Exact = true }).FillAsync("champion");
        await page.GetByLabel("points to").SelectOptionAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set alias" }).ClickAsync();
        await Expect(versions.First).ToContainTextAsync("@champion");
        Assert.Equal("2", (await fixture.Client.GetModelVersionByAliasAsync(name, "champion")).Version);
        await UiFixture.ScreenshotAsync(page, "model");

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove alias champion" }).ClickAsync();
        await Expect(versions.First).Not.ToContainTextAsync("@champion");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeHiddenAsync();
    }
}
