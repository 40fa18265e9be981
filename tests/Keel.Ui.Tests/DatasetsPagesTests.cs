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
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = name })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "datasets");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "version 1" }).ClickAsync();
        var profile = page.Locator("table[aria-label='Profile of iris.csv'] tbody tr");
        await Expect(profile).ToHaveCountAsync(5);
        await Expect(profile.Filter(new() { HasText = "petal_length" })).ToContainTextAsync("3.758");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = runId })).ToBeVisibleAsync();

        // Histograms: the first numeric column's, then another column's chosen in the table.
        await Expect(page.Locator("figure[aria-label='Histogram of sepal_length'][data-ready=true]")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "petal_length" }).ClickAsync();
        await Expect(page.Locator("figure[aria-label='Histogram of petal_length'][data-ready=true]")).ToBeVisibleAsync();
        Assert.Contains("column=petal_length", page.Url, StringComparison.Ordinal);
        await Expect(page.GetByText("No missing values in any column.")).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "dataset");
        await UiFixture.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task A_person_compares_two_versions_and_reads_the_validation_report()
    {
        var name = "ui-diff-" + Guid.NewGuid().ToString("N")[..6];
        using var folder = new TempDirectory();
        var file = folder.Combine("orders.csv");
        await File.WriteAllTextAsync(file, "id,amount,country\n1,10,de\n2,20,fr\n3,30,de\n");
        await fixture.Client.AddDatasetVersionAsync(name, file, "first orders");
        await fixture.Client.SetDatasetSuiteAsync(name, """
            name: orders
            on_add: warn
            columns:
              id: {type: long, unique: true}
              amount: {not_null: true, min: 0}
            """);
        await File.WriteAllTextAsync(file, "id,amount,country\n1,10,de\n2,20,fr\n3,30,de\n4,-5,it\n4,,fr\n");
        await fixture.Client.AddDatasetVersionAsync(name, file, "more orders");

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/#/datasets?q={name[..8]}");
        await page.GetByLabel("Search datasets").FillAsync(name);
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        var versions = page.Locator("table[aria-label=Versions] tbody tr");
        await page.GetByLabel("Search versions").FillAsync("more");
        await Expect(versions.Locator("visible=true")).ToHaveCountAsync(1);
        await Expect(versions.Locator("visible=true")).ToContainTextAsync("more orders");
        await page.GetByLabel("Search versions").FillAsync("");
        await page.GetByLabel("Compare", new() { Exact = true }).SelectOptionAsync("1");
        await page.GetByLabel("with", new() { Exact = true }).SelectOptionAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show the diff" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"{name}: version 1 → 2" })).ToBeVisibleAsync();
        await Expect(page.Locator("table[aria-label='Changed files'] tbody tr")).ToContainTextAsync("orders.csv");
        await Expect(page.Locator("table[aria-label='Changed files'] tbody tr")).ToContainTextAsync("changed");
        var amount = page.Locator("table[aria-label='Column changes in orders.csv'] tbody tr").Filter(new() { HasText = "amount" });
        await Expect(amount.Locator("td.differs").First).ToContainTextAsync("→");
        await Expect(amount.Locator("td").Nth(7)).Not.ToBeEmptyAsync(); // its PSI
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "orders.csv: 3 → 5 rows" })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "dataset-diff");
        await UiFixture.AssertAccessibleAsync(page);

        await page.GotoAsync($"/#/datasets/{name}/2");
        var rules = page.Locator("table[aria-label='Rules checked on orders.csv'] tbody tr");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Validation of orders.csv" })).ToContainTextAsync("failed");
        await Expect(rules.Filter(new() { HasText = "unique" })).ToContainTextAsync("failed");
        await Expect(page.Locator("figure[aria-label='Missing values'][data-ready=true]")).ToBeVisibleAsync();
        await UiFixture.AssertAccessibleAsync(page);
    }
}
