using System.Text;
using Keel.Testing;
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
        var dataset = name + "-data";
        await fixture.Client.AddDatasetVersionAsync(dataset, RepositoryFiles.SharedFixture("iris.csv"), "iris");
        var runIds = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            await using var run = await fixture.Client.StartRunAsync(experimentId, runName: $"train-{i}");
            runIds.Add(run.RunId);
            await fixture.Client.LogDatasetInputAsync(run.RunId, dataset);
            using var mlmodel = new MemoryStream(Encoding.UTF8.GetBytes(MlModel));
            await fixture.Client.UploadArtifactAsync(run.RunId, "model/MLmodel", mlmodel);
            await fixture.Client.CreateModelVersionAsync(name, $"runs:/{run.RunId}/model", run.RunId);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/models");
        await page.GetByLabel("Search models").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator("table[aria-label='Registered models'] tbody tr")).ToHaveCountAsync(1);
        await UiFixture.ScreenshotAsync(page, "models");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        var versions = page.Locator("table[aria-label=Versions] tbody tr");
        await Expect(versions).ToHaveCountAsync(2);
        await Expect(versions.First).ToContainTextAsync("version 2");
        await Expect(versions.First.GetByRole(AriaRole.Link, new() { Name = runIds[1][..8] })).ToBeVisibleAsync();

        // The newest version's detail: its signature read from MLmodel, and its lineage.
        var signature = page.Locator("table[aria-label='Signature inputs'] tbody tr");
        await Expect(signature).ToHaveCountAsync(4);
        await Expect(signature.First).ToContainTextAsync("sepal_length");
        await Expect(signature.First).ToContainTextAsync("double");
        var lineage = page.GetByRole(AriaRole.List, new() { Name = "Lineage" });
        await Expect(lineage.GetByRole(AriaRole.Link, new() { Name = dataset })).ToBeVisibleAsync();
        await Expect(lineage.GetByRole(AriaRole.Link, new() { Name = "train-1" })).ToBeVisibleAsync();
        await Expect(lineage).ToContainTextAsync("not deployed");

        await page.GetByRole(AriaRole.Textbox, new() { Name = "Alias", Exact = true }).FillAsync("champion");
        await page.GetByLabel("points to").SelectOptionAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set alias" }).ClickAsync();
        await Expect(versions.First).ToContainTextAsync("@champion");
        Assert.Equal("2", (await fixture.Client.GetModelVersionByAliasAsync(name, "champion")).Version);

        await page.GetByRole(AriaRole.Textbox, new() { Name = "Alias", Exact = true }).FillAsync("champion");
        await page.GetByLabel("points to").SelectOptionAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set alias" }).ClickAsync();
        await Expect(versions.Nth(1)).ToContainTextAsync("@champion");
        var timeline = page.GetByRole(AriaRole.List, new() { Name = "Alias and stage history" });
        await Expect(timeline.Locator("li").First).ToContainTextAsync("@champion moved from version 2 to 1");
        await Expect(timeline.Locator("li").Nth(1)).ToContainTextAsync("@champion set to version 2");

        // A version's own URL shows that version.
        await versions.Nth(1).GetByRole(AriaRole.Link, new() { Name = "version 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Version 1" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Lineage" }).GetByRole(AriaRole.Link, new() { Name = "train-0" })).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "model");
        await UiFixture.AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove alias champion" }).ClickAsync();
        await Expect(versions.Nth(1)).Not.ToContainTextAsync("@champion");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeHiddenAsync();
        await Expect(timeline.Locator("li").First).ToContainTextAsync("@champion removed (was version 1)");
    }

    /// <summary>As MLflow 2.9 writes it: PyYAML folds the long JSON string of the inputs over several lines.</summary>
    private const string MlModel = """
        artifact_path: model
        flavors:
          onnx:
            onnx_version: 1.15.0
        signature:
          inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type":
            "double", "name": "sepal_width", "required": true}, {"type": "double", "name":
            "petal_length", "required": true}, {"type": "double", "name": "petal_width", "required":
            true}]'
          outputs: '[{"type": "long", "name": "label", "required": true}]'
          params: null
        """;
}
