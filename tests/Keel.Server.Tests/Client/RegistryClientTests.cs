using Keel.Client;

namespace Keel.Server.Tests.Client;

/// <summary>Keel.Client's registry calls against a real server.</summary>
public sealed class RegistryClientTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    [Fact]
    public async Task Register_resolve_alias_stage_and_history_through_the_sdk()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("sdk-model");
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("sdk-registry")))
        {
            runId = run.RunId;
            await client.UploadArtifactAsync(run.RunId, "model/MLmodel", new MemoryStream("flavors: {}\n"u8.ToArray()));
        }

        var first = await client.RegisterModelAsync(name, $"runs:/{runId}/model");
        var second = await client.RegisterModelAsync(name, $"runs:/{runId}/model");
        Assert.Equal(("1", "2"), (first.Version, second.Version));
        Assert.Equal(runId, first.RunId);

        await client.SetRegisteredModelAliasAsync(name, "champion", "1");
        await client.TransitionModelVersionStageAsync(name, "2", "staging");
        Assert.Equal("1", (await client.ResolveModelVersionAsync($"models:/{name}@champion")).Version);
        Assert.Equal("2", (await client.ResolveModelVersionAsync($"models:/{name}/Staging")).Version);
        Assert.Equal("2", (await client.ResolveModelVersionAsync($"models:/{name}/latest")).Version);
        Assert.Equal("1", (await client.ResolveModelVersionAsync($"models:/{name}/1")).Version);
        var missing = await Assert.ThrowsAsync<KeelApiException>(() => client.ResolveModelVersionAsync($"models:/{name}/Production"));
        Assert.Equal(KeelErrorCodes.ResourceDoesNotExist, missing.ErrorCode);

        var run2 = await client.GetRunAsync(runId);
        Assert.Equal($"{run2.Info.ArtifactUri}/model", await client.GetModelVersionDownloadUriAsync(name, "1"));
        Assert.Equal($"{run2.Info.ArtifactUri}/model", await client.ResolveModelArtifactUriAsync($"models:/{name}@champion"));

        var model = await client.GetRegisteredModelAsync(name);
        Assert.Equal("1", model.Aliases["champion"]);
        Assert.Equal(["2"], model.LatestVersions.Where(v => v.CurrentStage == "Staging").Select(v => v.Version));

        var history = await client.GetRegistryHistoryAsync(name);
        Assert.Equal([("alias", "champion", null, "1"), ("stage", "Staging", null, "2")],
            history.Select(h => (h.Kind, h.Target, h.OldVersion, h.NewVersion)));

        var search = await client.SearchModelVersionsAsync($"name = '{name}'", ["version_number ASC"], maxResults: 1);
        Assert.Equal("1", Assert.Single(search.Items).Version);
        Assert.NotNull(search.NextPageToken);
        var models = await client.SearchRegisteredModelsAsync($"name = '{name}'");
        Assert.Equal(name, Assert.Single(models.Items).Name);

        await client.DeleteRegisteredModelAliasAsync(name, "champion");
        var gone = await Assert.ThrowsAsync<KeelApiException>(() => client.GetModelVersionByAliasAsync(name, "champion"));
        Assert.Equal(KeelErrorCodes.InvalidParameterValue, gone.ErrorCode);
        await client.DeleteRegisteredModelAsync(name);
        await Assert.ThrowsAsync<KeelApiException>(() => client.GetRegisteredModelAsync(name));
    }
}
