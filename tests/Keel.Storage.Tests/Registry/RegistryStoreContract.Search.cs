using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Storage.Tests.Registry;

public abstract partial class RegistryStoreContract
{
    private async Task SeedModelsAsync()
    {
        foreach (var (name, team) in new[] { ("alpha", "ml"), ("Beta", "ml"), ("gamma", "ops"), ("delta", "ops"), ("alphabet", "ml") })
        {
            Tick();
            await Registry.CreateRegisteredModelAsync(name, null, [new KeyValue("team", team)], Ct);
        }
    }

    [Fact]
    public async Task Registered_model_search_filters_by_name_and_tags_and_orders_by_name_by_default()
    {
        await SeedModelsAsync();
        async Task<IReadOnlyList<string>> Names(string? filter, params string[] orderBy) =>
            (await Registry.SearchRegisteredModelsAsync(filter, orderBy, null, null, Ct)).Items.Select(m => m.Name).ToList();

        Assert.Equal(["Beta", "alpha", "alphabet", "delta", "gamma"], await Names(null));
        Assert.Equal(["alpha", "alphabet"], await Names("name LIKE 'alpha%'"));
        Assert.Equal(["Beta"], await Names("name ILIKE 'b%'"));
        Assert.Empty(await Names("name LIKE 'b%'"));
        Assert.Equal(["alpha"], await Names("name = 'alpha'"));
        Assert.Equal(["Beta", "alphabet", "delta", "gamma"], await Names("name != 'alpha'"));
        Assert.Equal(["Beta", "alpha", "alphabet"], await Names("tags.team = 'ml'"));
        Assert.Equal(["alphabet"], await Names("tags.`team` = 'ml' AND name LIKE '%bet'"));
        Assert.Equal(["alphabet", "delta", "gamma", "Beta", "alpha"], await Names(null, "timestamp DESC"));
        Assert.Equal(["alpha", "Beta", "gamma", "delta", "alphabet"], await Names(null, "last_updated_timestamp ASC"));
        Assert.Equal(["gamma", "delta", "alphabet", "alpha", "Beta"], await Names(null, "name DESC"));

        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Names("run_id = 'x'"), "run_id");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Names(null, "creation_timestamp"), "creation_timestamp");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Names(null, "timestamp", "last_updated_timestamp"), "duplicate");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Names("metrics.acc > 1"), "metrics");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SearchRegisteredModelsAsync(null, [], 1001, null, Ct), "1000");
    }

    [Fact]
    public async Task Registered_model_pages_carry_a_token_only_when_more_exist()
    {
        await SeedModelsAsync();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Registry.SearchRegisteredModelsAsync(null, ["timestamp DESC"], 2, token, Ct);
            seen.AddRange(page.Items.Select(m => m.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(["alphabet", "delta", "gamma", "Beta", "alpha"], seen);
        var exact = await Registry.SearchRegisteredModelsAsync(null, [], 5, null, Ct);
        Assert.Null(exact.NextPageToken);
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SearchRegisteredModelsAsync(null, ["name"], 2, "bm90LWEtdG9rZW4", Ct));
    }

    [Fact]
    public async Task Prompts_are_left_out_of_registry_searches_unless_the_filter_asks_for_them()
    {
        await Registry.CreateRegisteredModelAsync("model", null, [], Ct);
        await Registry.CreateRegisteredModelAsync("prompt", null, [new KeyValue("mlflow.prompt.is_prompt", "true")], Ct);
        await Registry.CreateModelVersionAsync("prompt", "s3://p/1", null, [], null, null, Ct);
        await Registry.CreateModelVersionAsync("model", "s3://m/1", null, [], null, null, Ct);
        async Task<IReadOnlyList<string>> Names(string? filter) =>
            (await Registry.SearchRegisteredModelsAsync(filter, [], null, null, Ct)).Items.Select(m => m.Name).ToList();

        Assert.Equal(["model"], await Names(null));
        Assert.Equal(["prompt"], await Names("tags.`mlflow.prompt.is_prompt` = 'true'"));
        Assert.Equal(["model"], await Names("tags.`mlflow.prompt.is_prompt` = 'false'"));
        Assert.Equal(["model"], await Names("tags.`mlflow.prompt.is_prompt` != 'true'"));
        Assert.Equal(["model"], (await Registry.SearchModelVersionsAsync(null, [], null, null, Ct)).Items.Select(v => v.Name));
    }

    [Fact]
    public async Task Model_version_search_filters_orders_and_pages_like_mlflow()
    {
        await Registry.CreateRegisteredModelAsync("a", null, [], Ct);
        await Registry.CreateRegisteredModelAsync("b", null, [], Ct);
        var run = await Tracking.CreateRunAsync(0, "tester", "r", Clock.GetUtcNow().ToUnixTimeMilliseconds(), [], Ct);
        await NewVersionAsync("a", "s3://bucket/a/1", run.Info.RunId);
        await NewVersionAsync("b", "s3://bucket/b/1");
        await NewVersionAsync("a", "s3://bucket/a/2");
        await NewVersionAsync("b", "s3://bucket/b/2", run.Info.RunId);
        await Registry.SetModelVersionTagAsync("a", "2", "stage", "candidate", Ct);
        async Task<IReadOnlyList<string>> Keys(string? filter, params string[] orderBy) =>
            (await Registry.SearchModelVersionsAsync(filter, orderBy, null, null, Ct)).Items.Select(v => $"{v.Name}{v.Version}").ToList();

        // Default: last_updated_timestamp DESC, then name ASC, version DESC.
        Assert.Equal(["b2", "a2", "b1", "a1"], await Keys(null));
        Assert.Equal(["a2", "a1"], await Keys("name = 'a'"));
        Assert.Equal(["a1", "b2"], await Keys($"run_id = '{run.Info.RunId}'", "name"));
        Assert.Equal(["a1", "b2"], await Keys($"run_id IN ('{run.Info.RunId}', 'other')", "name"));
        Assert.Equal(["a2", "b2"], await Keys("version_number > 1", "name"));
        Assert.Equal(["a1", "b1"], await Keys("version_number <= 1", "name ASC"));
        Assert.Equal(["b2", "b1"], await Keys("source_path LIKE 's3://bucket/b/%'"));
        Assert.Equal(["a2"], await Keys("tags.stage = 'candidate'"));
        Assert.Equal(["a1", "b1", "a2", "b2"], await Keys(null, "version_number ASC"));
        Assert.Equal(["a1", "b1", "a2", "b2"], await Keys(null, "creation_timestamp ASC"));

        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Keys("run_id NOT IN ('x')"), "NOT IN");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Keys("version_number = '1'"));
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Keys("params.x = '1'"), "params");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Keys(null, "run_id"), "run_id");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SearchModelVersionsAsync(null, [], 0, null, Ct), "max_results");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SearchModelVersionsAsync(null, [], 200_001, null, Ct), "200000");

        var first = await Registry.SearchModelVersionsAsync(null, [], 3, null, Ct);
        Assert.NotNull(first.NextPageToken);
        var second = await Registry.SearchModelVersionsAsync(null, [], 3, first.NextPageToken, Ct);
        Assert.Equal(["a1"], second.Items.Select(v => $"{v.Name}{v.Version}"));
        Assert.Null(second.NextPageToken);
    }

    [Fact]
    public async Task Models_and_runs_uris_as_sources_resolve_to_where_the_files_are()
    {
        var run = await Tracking.CreateRunAsync(0, "tester", "r", Clock.GetUtcNow().ToUnixTimeMilliseconds(), [], Ct);
        await Registry.CreateRegisteredModelAsync("src", null, [], Ct);
        await Registry.CreateRegisteredModelAsync("copy", null, [], Ct);
        var fromRun = await Registry.CreateModelVersionAsync("src", $"runs:/{run.Info.RunId}/model", null, [], null, null, Ct);
        Assert.Equal(run.Info.RunId, fromRun.RunId);
        Assert.Equal($"runs:/{run.Info.RunId}/model", fromRun.Source);
        Assert.Equal($"{run.Info.ArtifactUri}/model", await Registry.GetDownloadUriAsync("src", "1", Ct));
        await Registry.SetAliasAsync("src", "champion", "1", Ct);

        var copied = await Registry.CreateModelVersionAsync("copy", "models:/src@champion", null, [], null, null, Ct);
        Assert.Equal(run.Info.RunId, copied.RunId);
        Assert.Equal($"{run.Info.ArtifactUri}/model", await Registry.GetDownloadUriAsync("copy", "1", Ct));
        Assert.Equal(1, (await Registry.ResolveAsync("models:/src/1", Ct)).Version);
        Assert.Equal(1, (await Registry.ResolveAsync("models:/src/latest", Ct)).Version);
        Assert.Equal(1, (await Registry.ResolveAsync("models:/src@champion", Ct)).Version);
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.ResolveAsync("models:/src/Production", Ct), "Production");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.ResolveAsync("models:/src/7", Ct), "version=7");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.ResolveAsync("models:/src@nobody", Ct), "nobody");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.ResolveAsync("models:/a/b/c", Ct), "Not a proper models:/ URI");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            () => Registry.CreateModelVersionAsync("copy", "models:/src/9", null, [], null, null, Ct), "version=9");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            () => Registry.CreateModelVersionAsync("copy", "runs:/0123456789abcdef/model", null, [], null, null, Ct), "0123456789abcdef");
        Assert.Single((await Registry.SearchModelVersionsAsync("name = 'copy'", [], null, null, Ct)).Items);
    }

    [Theory]
    [InlineData("s3://bucket/models/../../other")]
    [InlineData("mlflow-artifacts:/0/abc/artifacts/..%2f..%2fsecret")]
    [InlineData("http://host/api/2.0/mlflow-artifacts/artifacts/%2e%2e/x")]
    [InlineData("/etc/passwd")]
    [InlineData("file:///tmp/model")]
    public async Task Sources_that_climb_out_or_name_local_files_are_refused(string source)
    {
        await Registry.CreateRegisteredModelAsync("safe", null, [], Ct);
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE,
            () => Registry.CreateModelVersionAsync("safe", source, null, [], null, null, Ct), "Invalid model version source");
        Assert.Empty((await Registry.SearchModelVersionsAsync("name = 'safe'", [], null, null, Ct)).Items);
    }
}
