using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Core.Tracking;
using Keel.Storage.Sql;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Storage.Tests.Datasets;

/// <summary>Versioned datasets, chunk claims and garbage collection's liveness on every SQL back end.</summary>
public abstract class DatasetStoreContract : IAsyncLifetime
{
    private ITrackingStore _tracking = null!;
    private TrackingService _service = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    private IDatasetStore Store { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _tracking = await OpenStoreAsync();
        _service = new TrackingService(_tracking, new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000)), new TrackingOptions());
        await _service.InitializeAsync(CancellationToken.None);
        Store = TrackingStoreFactory.OpenDatasets(_tracking);
    }

    public async Task DisposeAsync()
    {
        if (_tracking is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private static string Hash(int i) => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);

    private static DatasetVersion Version(string dataset, string id, long time = 100) =>
        new(dataset, id, 0, "first", "ana", time, 30, 2, 3, """[{"name":"x","type":"long"}]""", false);

    [Fact]
    public async Task A_version_needs_every_chunk_and_the_same_content_twice_stores_nothing()
    {
        Assert.Equal([Hash(1), Hash(2)], await Store.ClaimChunksAsync([Hash(1), Hash(2)], 10, default));
        await Store.AddChunkAsync(new ChunkInfo(Hash(1), 10), 10, default);

        var refused = await Store.CreateVersionAsync(Version("iris", "a1b2c3d4"), [Hash(1), Hash(2)], default);
        Assert.Null(refused.Version);
        Assert.Equal([Hash(2)], refused.MissingChunks);
        Assert.Null(await Store.GetDatasetAsync("iris", default));

        await Store.AddChunkAsync(new ChunkInfo(Hash(2), 20), 10, default);
        var created = await Store.CreateVersionAsync(Version("iris", "a1b2c3d4"), [Hash(1), Hash(2)], default);
        Assert.True(created.Created);
        Assert.Equal(1, created.Version!.Number);
        var again = await Store.CreateVersionAsync(Version("iris", "a1b2c3d4", 200), [Hash(1), Hash(2)], default);
        Assert.False(again.Created);
        Assert.Equal(100, again.Version!.CreationTime);

        var second = await Store.CreateVersionAsync(Version("iris", "a1ffffff", 300), [Hash(1)], default);
        Assert.Equal(2, second.Version!.Number);
        var dataset = await Store.GetDatasetAsync("iris", default);
        Assert.Equal((2, "a1ffffff"), (dataset!.VersionCount, dataset.LatestVersion));
        Assert.Equal(["a1ffffff", "a1b2c3d4"], (await Store.ListVersionsAsync("iris", false, default)).Select(v => v.Id));
        Assert.Equal("""[{"name":"x","type":"long"}]""", (await Store.FindVersionAsync("iris", "1", default))!.Schema);
        Assert.Equal("a1ffffff", (await Store.FindVersionAsync("iris", "a1ff", default))!.Id);
        Assert.Null(await Store.FindVersionAsync("iris", "ffff", default));
        Assert.Null(await Store.FindVersionAsync("iris", "a1", default));
    }

    [Fact]
    public async Task An_ambiguous_prefix_names_the_candidates()
    {
        await Store.AddChunkAsync(new ChunkInfo(Hash(1), 10), 10, default);
        await Store.CreateVersionAsync(Version("d", "abcd0001"), [Hash(1)], default);
        await Store.CreateVersionAsync(Version("d", "abcd0002"), [Hash(1)], default);

        var error = await Assert.ThrowsAsync<KeelException>(() => Store.FindVersionAsync("d", "abcd", default));

        Assert.Contains("abcd0001", error.Message, StringComparison.Ordinal);
        Assert.Contains("abcd0002", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reference_of_digits_is_a_version_number_first_then_an_id_prefix()
    {
        await Store.AddChunkAsync(new ChunkInfo(Hash(1), 10), 10, default);
        await Store.CreateVersionAsync(Version("n", "89818899"), [Hash(1)], default);
        await Store.CreateVersionAsync(Version("n", "2222aaaa"), [Hash(1)], default);

        Assert.Equal("89818899", (await Store.FindVersionAsync("n", "1", default))!.Id);
        Assert.Equal("2222aaaa", (await Store.FindVersionAsync("n", "2", default))!.Id);
        Assert.Equal("89818899", (await Store.FindVersionAsync("n", "8981", default))!.Id);
        Assert.Equal("2222aaaa", (await Store.FindVersionAsync("n", "2222", default))!.Id);
        Assert.Null(await Store.FindVersionAsync("n", "3", default));
    }

    [Fact]
    public async Task Garbage_is_what_no_live_version_references_and_nobody_claimed_since_the_cutoff()
    {
        foreach (var i in new[] { 1, 2, 3, 4 })
        {
            await Store.AddChunkAsync(new ChunkInfo(Hash(i), i * 10), 10, default);
        }

        await Store.CreateVersionAsync(Version("d", "aaaa0001"), [Hash(1), Hash(2)], default);
        await Store.CreateVersionAsync(Version("d", "aaaa0002"), [Hash(2), Hash(3)], default);

        // A commit claims its chunks (at the version's time, 100), so the cut-offs below are after it.
        Assert.Equal([Hash(4)], (await Store.FindGarbageAsync(150, 100, default)).Select(c => c.Hash));
        Assert.True(await Store.DeleteVersionAsync("d", "aaaa0001", default));
        Assert.Equal([Hash(1), Hash(4)], (await Store.FindGarbageAsync(150, 100, default)).Select(c => c.Hash));

        // An add claims chunk 1 again (after the cut-off): the collection spares it.
        Assert.Empty(await Store.ClaimChunksAsync([Hash(1)], 160, default));
        Assert.False(await Store.ForgetChunkAsync(Hash(1), 150, default));
        Assert.True(await Store.ForgetChunkAsync(Hash(4), 150, default));
        Assert.Equal([Hash(4)], await Store.ClaimChunksAsync([Hash(4)], 170, default));

        // Deleting the dataset makes every chunk collectable.
        Assert.True(await Store.DeleteDatasetAsync("d", default));
        Assert.Equal([Hash(1), Hash(2), Hash(3)], (await Store.FindGarbageAsync(200, 100, default)).Select(c => c.Hash));
        Assert.Null(await Store.GetDatasetAsync("d", default));
    }

    [Fact]
    public async Task A_deleted_version_that_a_run_used_keeps_its_chunks_and_lists_the_run()
    {
        await Store.AddChunkAsync(new ChunkInfo(Hash(7), 70), 10, default);
        await Store.CreateVersionAsync(Version("d", "bbbb0001"), [Hash(7)], default);
        var experiment = await _service.CreateExperimentAsync("data", null, [], CancellationToken.None);
        var run = await _service.CreateRunAsync(experiment, "ana", "train", 5, [], CancellationToken.None);
        await _service.LogInputsAsync(run.Info.RunId,
            [new DatasetInput(new Keel.Core.Tracking.Dataset("d", "bbbb0001", "keel", "keel://datasets/d@bbbb0001", null, null), [])], CancellationToken.None);

        Assert.True(await Store.DeleteVersionAsync("d", "bbbb0001", default));

        Assert.Empty(await Store.FindGarbageAsync(100, 100, default));
        Assert.Equal([run.Info.RunId], await Store.FindRunsUsingAsync("bbbb0001", default));
        var restored = await Store.CreateVersionAsync(Version("d", "bbbb0001"), [Hash(7)], default);
        Assert.True(restored.Created);
        Assert.False(restored.Version!.Deleted);
    }

    [Fact]
    public async Task Packed_chunks_are_found_where_they_were_written_and_move_only_out_of_their_own_pack()
    {
        await Store.RegisterPackAsync("p1", 60, 10, default);
        await Store.AddPackedChunksAsync([new StoredChunk(Hash(1), 10, "p1", 0), new StoredChunk(Hash(2), 20, "p1", 10), new StoredChunk(Hash(3), 30, "p1", 30)], 10, default);
        Assert.Equal(new StoredChunk(Hash(2), 20, "p1", 10), await Store.FindChunkAsync(Hash(2), default));
        Assert.Null(await Store.FindChunkAsync(Hash(9), default));
        Assert.Empty(await Store.ClaimChunksAsync([Hash(1), Hash(3)], 20, default));
        Assert.Empty(await Store.FindSparsePacksAsync(100, default));

        // A chunk written again by another add keeps its first location; the second copy is dead bytes.
        await Store.RegisterPackAsync("p2", 10, 30, default);
        await Store.AddPackedChunksAsync([new StoredChunk(Hash(1), 10, "p2", 0)], 30, default);
        Assert.Equal("p1", (await Store.FindChunkAsync(Hash(1), default))!.Pack);
        Assert.Equal([new PackUsage("p2", 10, 0)], await Store.FindSparsePacksAsync(100, default));
        Assert.Empty(await Store.FindSparsePacksAsync(30, default));

        // Chunk 2 is garbage once a version references 1 and 3 only; forgotten, it leaves p1 sparse.
        await Store.CreateVersionAsync(Version("d", "dddd0001"), [Hash(1), Hash(3)], default);
        Assert.Equal([new StoredChunk(Hash(2), 20, "p1", 10)], await Store.FindGarbageAsync(150, 100, default));
        Assert.True(await Store.ForgetChunkAsync(Hash(2), 150, default));
        Assert.Equal([new PackUsage("p1", 60, 40), new PackUsage("p2", 10, 0)], await Store.FindSparsePacksAsync(150, default));
        Assert.False(await Store.ForgetPackAsync("p1", default));
        Assert.True(await Store.ForgetPackAsync("p2", default));

        // Rewritten: the live chunks move to p3, each only while it is still in p1.
        Assert.Equal([Hash(1), Hash(3)], (await Store.ListPackAsync("p1", default)).Select(c => c.Hash));
        await Store.RegisterPackAsync("p3", 40, 160, default);
        Assert.Equal(2, await Store.MoveChunksAsync("p1", [new StoredChunk(Hash(1), 10, "p3", 0), new StoredChunk(Hash(3), 30, "p3", 10)], default));
        Assert.Equal(0, await Store.MoveChunksAsync("p1", [new StoredChunk(Hash(1), 10, "p4", 0)], default));
        Assert.Equal(new StoredChunk(Hash(3), 30, "p3", 10), await Store.FindChunkAsync(Hash(3), default));
        Assert.True(await Store.ForgetPackAsync("p1", default));
        Assert.Empty(await Store.FindSparsePacksAsync(1_000, default));
    }

    [Fact]
    public async Task Many_chunks_commit_and_are_claimed_in_one_call()
    {
        var hashes = Enumerable.Range(1, 1_203).Select(Hash).ToList();
        foreach (var hash in hashes.Take(1_200))
        {
            await Store.AddChunkAsync(new ChunkInfo(hash, 1), 10, default);
        }

        Assert.Equal(hashes.Skip(1_200), await Store.ClaimChunksAsync(hashes, 20, default));
        Assert.True((await Store.CreateVersionAsync(Version("big", "cccc0001"), [.. hashes.Take(1_200)], default)).Created);
        Assert.Empty(await Store.FindGarbageAsync(100, 10_000, default));
    }
}

public sealed class SqliteDatasetStoreTests : DatasetStoreContract, IDisposable
{
    private readonly Keel.Testing.TempDirectory _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() =>
        Task.FromResult(TrackingStoreFactory.Open("sqlite:///" + _folder.Combine("keel.db")));

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgresDatasetStoreTests : DatasetStoreContract
{
    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "datasets_" + Guid.NewGuid().ToString("N")[..16];
        await server.CreateDatabaseAsync(database);
        return TrackingStoreFactory.Open(server.UriFor(database));
    }
}
