using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Storage.Sql;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Storage.Tests.Registry;

/// <summary>
/// The model registry's behaviour (reference §3.3, §5.4, §5.5) driven through <see cref="RegistryService"/>,
/// shared by every back end; SQLite and PostgreSQL run it as near-empty subclasses.
/// </summary>
public abstract partial class RegistryStoreContract : IAsyncLifetime
{
    private ITrackingStore _store = null!;

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    protected TrackingService Tracking { get; private set; } = null!;

    protected RegistryService Registry { get; private set; } = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        Tracking = new TrackingService(_store, Clock, new TrackingOptions());
        await Tracking.InitializeAsync(CancellationToken.None);
        Registry = new RegistryService(TrackingStoreFactory.OpenRegistry(_store), _store, Clock);
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private static CancellationToken Ct => CancellationToken.None;

    private void Tick() => Clock.Advance(TimeSpan.FromMilliseconds(10));

    private async Task<ModelVersion> NewVersionAsync(string model, string source = "mlflow-artifacts:/0/abc/artifacts/model", string? runId = null)
    {
        Tick();
        return await Registry.CreateModelVersionAsync(model, source, runId, [], null, null, Ct);
    }

    private static async Task<KeelException> ThrowsAsync(ErrorCode code, Func<Task> action, params string[] messageContains)
    {
        var e = await Assert.ThrowsAsync<KeelException>(action);
        Assert.Equal(code, e.Code);
        foreach (var part in messageContains)
        {
            Assert.Contains(part, e.Message, StringComparison.Ordinal);
        }

        return e;
    }

    [Fact]
    public async Task Registered_model_create_get_and_duplicate_name()
    {
        var created = await Registry.CreateRegisteredModelAsync("iris", "flowers", [new KeyValue("team", "ml")], Ct);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), created.CreationTimestamp);
        var model = await Registry.GetRegisteredModelAsync("iris", Ct);
        Assert.Equal("flowers", model.Description);
        Assert.Equal([new KeyValue("team", "ml")], model.Tags);
        Assert.Empty(model.LatestVersions);
        await ThrowsAsync(ErrorCode.RESOURCE_ALREADY_EXISTS, () => Registry.CreateRegisteredModelAsync("iris", null, [], Ct), "iris", "already exists");
        // Names are case-sensitive: another model.
        await Registry.CreateRegisteredModelAsync("Iris", null, [], Ct);
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.GetRegisteredModelAsync("nope", Ct), "name=nope");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.CreateRegisteredModelAsync("", null, [], Ct), "cannot be empty");
    }

    [Fact]
    public async Task Version_numbers_start_at_one_and_are_never_reused_after_a_delete()
    {
        await Registry.CreateRegisteredModelAsync("m", null, [], Ct);
        Assert.Equal(1, (await NewVersionAsync("m")).Version);
        Assert.Equal(2, (await NewVersionAsync("m")).Version);
        var third = await NewVersionAsync("m");
        Assert.Equal(3, third.Version);
        Assert.Equal(ModelStages.None, third.CurrentStage);
        Assert.Equal("READY", third.Status);
        await Registry.DeleteModelVersionAsync("m", "3", Ct);
        Assert.Equal(4, (await NewVersionAsync("m")).Version);
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.GetModelVersionAsync("m", "3", Ct), "name=m, version=3");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.DeleteModelVersionAsync("m", "3", Ct));
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.GetModelVersionAsync("m", "three", Ct), "'version' must be an integer");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.CreateModelVersionAsync("missing", "s3://b/m", null, [], null, null, Ct), "name=missing");
        var search = await Registry.SearchModelVersionsAsync("name = 'm'", [], null, null, Ct);
        Assert.Equal([4L, 2, 1], search.Items.Select(v => v.Version));
    }

    [Fact]
    public async Task Twenty_concurrent_version_creations_get_versions_one_to_twenty_each_once()
    {
        await Registry.CreateRegisteredModelAsync("busy", null, [], Ct);
        var versions = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            Registry.CreateModelVersionAsync("busy", $"s3://bucket/model-{i}", null, [], null, null, Ct))));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), versions.Select(v => v.Version).Order());
        var stored = await Registry.SearchModelVersionsAsync("name = 'busy'", ["version_number ASC"], null, null, Ct);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), stored.Items.Select(v => v.Version));
        // Each call got the number it stored: the sources line up.
        Assert.All(versions, v => Assert.Equal(v.Source, stored.Items.Single(s => s.Version == v.Version).Source));
    }

    [Fact]
    public async Task Stage_transitions_archive_existing_versions_and_fill_latest_versions()
    {
        await Registry.CreateRegisteredModelAsync("staged", null, [], Ct);
        for (var i = 0; i < 4; i++)
        {
            await NewVersionAsync("staged");
        }

        Tick();
        var moved = await Registry.TransitionStageAsync("staged", "1", "production", false, Ct);
        Assert.Equal(ModelStages.Production, moved.CurrentStage);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), moved.LastUpdatedTimestamp);
        await Registry.TransitionStageAsync("staged", "2", "Production", false, Ct);
        await Registry.TransitionStageAsync("staged", "3", "STAGING", false, Ct);
        var latest = await Registry.GetLatestVersionsAsync("staged", [], Ct);
        // Stages listed by their lowest version (MLflow's order): Production (1,2) → 2, Staging → 3, None → 4.
        Assert.Equal([(2L, "Production"), (3L, "Staging"), (4L, "None")], latest.Select(v => (v.Version, v.CurrentStage)));
        Assert.Equal([2L], (await Registry.GetLatestVersionsAsync("staged", ["production"], Ct)).Select(v => v.Version));

        await Registry.TransitionStageAsync("staged", "4", "Production", true, Ct);
        var all = await Registry.SearchModelVersionsAsync("name='staged'", ["version_number"], null, null, Ct);
        Assert.Equal(["Archived", "Archived", "Staging", "Production"], all.Items.Select(v => v.CurrentStage));
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), (await Registry.GetRegisteredModelAsync("staged", Ct)).LastUpdatedTimestamp);

        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.TransitionStageAsync("staged", "1", "Prod", false, Ct),
            "Invalid Model Version stage: Prod", "None, Staging, Production, Archived");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.TransitionStageAsync("staged", "1", "Archived", true, Ct), "not an Active stage");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.GetLatestVersionsAsync("staged", ["Gold"], Ct), "Gold");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.TransitionStageAsync("staged", "9", "Staging", false, Ct));
        // Nothing changed by the refused calls.
        Assert.Equal(all.Items.Select(v => v.CurrentStage), (await Registry.SearchModelVersionsAsync("name='staged'", ["version_number"], null, null, Ct)).Items.Select(v => v.CurrentStage));

        var history = await Registry.GetHistoryAsync("staged", null, Ct);
        var stages = history.Where(h => h.Kind == RegistryChangeKind.Stage).Select(h => (h.Key, h.OldVersion, h.NewVersion, h.PreviousStage)).ToList();
        Assert.Equal(
            [
                ("Production", null, 1L, "None"),
                ("Production", 1L, 2L, "None"),
                ("Staging", null, 3L, "None"),
                ("Archived", null, 1L, "Production"),
                ("Archived", null, 2L, "Production"),
                ("Production", 2L, 4L, "None"),
            ],
            stages);
    }

    [Fact]
    public async Task Aliases_move_are_removed_with_their_version_and_every_move_is_in_the_history()
    {
        await Registry.CreateRegisteredModelAsync("aliased", null, [], Ct);
        await NewVersionAsync("aliased");
        await NewVersionAsync("aliased");
        Tick();
        await Registry.SetAliasAsync("aliased", "champion", "1", Ct);
        Assert.Equal(["champion"], (await Registry.GetModelVersionAsync("aliased", "1", Ct)).Aliases);
        Tick();
        await Registry.SetAliasAsync("aliased", "champion", "2", Ct);
        await Registry.SetAliasAsync("aliased", "challenger", "1", Ct);
        Assert.Equal(2, (await Registry.GetModelVersionByAliasAsync("aliased", "champion", Ct)).Version);
        var model = await Registry.GetRegisteredModelAsync("aliased", Ct);
        Assert.Equal([new RegisteredModelAlias("challenger", 1), new RegisteredModelAlias("champion", 2)], model.Aliases);

        await Registry.DeleteModelVersionAsync("aliased", "2", Ct);
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.GetModelVersionByAliasAsync("aliased", "champion", Ct),
            "Registered model alias champion not found.");
        await Registry.DeleteAliasAsync("aliased", "challenger", Ct);
        await Registry.DeleteAliasAsync("aliased", "never-set", Ct);

        var history = await Registry.GetHistoryAsync("aliased", null, Ct);
        Assert.Equal(
            [("champion", null, 1L), ("champion", 1L, 2L), ("challenger", null, 1L), ("champion", 2L, null), ("challenger", 1L, null)],
            history.Select(h => (h.Key, h.OldVersion, h.NewVersion)));
        Assert.All(history, h => Assert.Equal(RegistryChangeKind.Alias, h.Kind));
        Assert.Equal(3, (await Registry.GetHistoryAsync("aliased", "champion", Ct)).Count);
        Assert.Equal(1_700_000_000_000 + 30, history[0].Timestamp);
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("V12")]
    [InlineData("latest")]
    [InlineData("LATEST")]
    [InlineData("has space")]
    [InlineData("")]
    public async Task Reserved_or_malformed_aliases_are_refused_and_change_nothing(string alias)
    {
        await Registry.CreateRegisteredModelAsync("strict", null, [], Ct);
        await NewVersionAsync("strict");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SetAliasAsync("strict", alias, "1", Ct));
        Assert.Empty((await Registry.GetRegisteredModelAsync("strict", Ct)).Aliases);
        Assert.Empty(await Registry.GetHistoryAsync("strict", null, Ct));
    }

    [Fact]
    public async Task Alias_on_a_missing_version_or_model_is_not_found_and_changes_nothing()
    {
        await Registry.CreateRegisteredModelAsync("lonely", null, [], Ct);
        await NewVersionAsync("lonely");
        await Registry.SetAliasAsync("lonely", "prod", "1", Ct);
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.SetAliasAsync("lonely", "prod", "7", Ct), "version=7");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.SetAliasAsync("ghost", "prod", "1", Ct), "name=ghost");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.GetModelVersionByAliasAsync("ghost", "prod", Ct), "name=ghost");
        Assert.Equal(1, (await Registry.GetModelVersionByAliasAsync("lonely", "prod", Ct)).Version);
        Assert.Single(await Registry.GetHistoryAsync("lonely", null, Ct));
    }

    [Fact]
    public async Task Rename_moves_versions_tags_aliases_and_history_and_refuses_a_taken_name()
    {
        await Registry.CreateRegisteredModelAsync("old", null, [new KeyValue("k", "v")], Ct);
        await Registry.CreateRegisteredModelAsync("taken", null, [], Ct);
        await NewVersionAsync("old");
        await Registry.SetModelVersionTagAsync("old", "1", "vk", "vv", Ct);
        await Registry.SetAliasAsync("old", "champion", "1", Ct);
        await ThrowsAsync(ErrorCode.RESOURCE_ALREADY_EXISTS, () => Registry.RenameRegisteredModelAsync("old", "taken", Ct), "taken");
        Tick();
        var renamed = await Registry.RenameRegisteredModelAsync("old", "new", Ct);
        Assert.Equal("new", renamed.Name);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), renamed.LastUpdatedTimestamp);
        Assert.Equal([new KeyValue("k", "v")], renamed.Tags);
        var version = await Registry.GetModelVersionByAliasAsync("new", "champion", Ct);
        Assert.Equal([new KeyValue("vk", "vv")], version.Tags);
        Assert.Single(await Registry.GetHistoryAsync("new", null, Ct));
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.GetRegisteredModelAsync("old", Ct));
        Assert.Equal(2, (await NewVersionAsync("new")).Version);
    }

    [Fact]
    public async Task Delete_model_removes_everything_and_the_name_starts_again_at_version_one()
    {
        await Registry.CreateRegisteredModelAsync("gone", null, [new KeyValue("a", "b")], Ct);
        await NewVersionAsync("gone");
        await NewVersionAsync("gone");
        await Registry.SetAliasAsync("gone", "x", "2", Ct);
        await Registry.DeleteRegisteredModelAsync("gone", Ct);
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.GetRegisteredModelAsync("gone", Ct));
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.DeleteRegisteredModelAsync("gone", Ct));
        Assert.Empty((await Registry.SearchModelVersionsAsync("name='gone'", [], null, null, Ct)).Items);
        var again = await Registry.CreateRegisteredModelAsync("gone", null, [], Ct);
        Assert.Empty(again.Tags);
        Assert.Equal(1, (await NewVersionAsync("gone")).Version);
        Assert.Empty(await Registry.GetHistoryAsync("gone", null, Ct));
    }

    [Fact]
    public async Task Tags_update_and_description_on_models_and_versions()
    {
        var created = await Registry.CreateRegisteredModelAsync("tagged", null, [], Ct);
        await NewVersionAsync("tagged");
        Tick();
        await Registry.SetRegisteredModelTagAsync("tagged", "owner", "a", Ct);
        await Registry.SetRegisteredModelTagAsync("tagged", "owner", "b", Ct);
        await Registry.DeleteRegisteredModelTagAsync("tagged", "missing", Ct);
        await Registry.SetModelVersionTagAsync("tagged", "1", "quality", "good", Ct);
        var updated = await Registry.UpdateRegisteredModelAsync("tagged", "now described", Ct);
        Assert.Equal("now described", updated.Description);
        Assert.Equal([new KeyValue("owner", "b")], updated.Tags);
        Assert.Equal([new KeyValue("quality", "good")], updated.LatestVersions.Single().Tags);
        Assert.True(updated.LastUpdatedTimestamp > created.LastUpdatedTimestamp);
        var version = await Registry.UpdateModelVersionAsync("tagged", "1", "v1 notes", Ct);
        Assert.Equal("v1 notes", version.Description);
        await Registry.DeleteModelVersionTagAsync("tagged", "1", "quality", Ct);
        Assert.Empty((await Registry.GetModelVersionAsync("tagged", "1", Ct)).Tags);
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE,
            () => Registry.SetRegisteredModelTagAsync("tagged", "big", new string('x', 5001), Ct), "exceeded length limit of 5000");
        await ThrowsAsync(ErrorCode.INVALID_PARAMETER_VALUE, () => Registry.SetModelVersionTagAsync("tagged", "1", "a//b", "v", Ct), "a//b");
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.SetModelVersionTagAsync("tagged", "5", "k", "v", Ct));
        await ThrowsAsync(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Registry.SetRegisteredModelTagAsync("ghost", "k", "v", Ct));
        Assert.Equal([new KeyValue("owner", "b")], (await Registry.GetRegisteredModelAsync("tagged", Ct)).Tags);
    }
}

public sealed class SqliteRegistryStoreTests : RegistryStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresRegistryStoreTests : RegistryStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "registry_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return TrackingStoreFactory.Open(server.UriFor(database));
    }
}
