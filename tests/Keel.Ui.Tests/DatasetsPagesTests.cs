using Keel.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Keel.Ui.Tests;

/// <summary>The dataset pages: versions, a version's profile, and the runs that used it.</summary>
public sealed class DatasetsPagesTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_person_opens_a_dataset_version_and_sees_its_profile_and_the_run_that_used_it()
    {
        var name = "ui-data-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Client.AddDatasetVersionAsync(name, RepositoryFiles.SharedFixture("iris.csv"), "iris as it came");
        string runId;
        await using (var run = await fixture.Client.StartRunAsync(name + "-training"))
        {
            runId = run.RunId;
            await fixture.Client.LogDatasetInputAsync(run.RunId, name);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/datasets");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "version 1" }).ClickAsync();
        var profile = page.Locator("table[aria-label='Profile of iris.csv'] tbody tr");
        await Expect(profile).ToHaveCountAsync(5);
        await Expect(profile.Filter(new() { HasText = "petal_length" })).ToContainTextAsync("3.758");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = runId })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "dataset");
    }
}
