using System.Security.Cryptography;
using Keel.Cli.Commands;
using Keel.Client;
using Keel.Data.Versioning;
using Keel.Testing;

namespace Keel.Server.Tests.Datasets;

/// <summary>
/// Pack files: a local add (`keel data add --data-dir`) writes a window's new chunks into one file;
/// a server on the same folder serves them, verifies them on `get` and collects them.
/// </summary>
public sealed class DatasetPackTests
{
    [Fact]
    public async Task A_local_add_packs_its_chunks_and_a_collection_rewrites_a_pack_without_the_freed_ones()
    {
        using var folder = new TempDirectory();
        var data = Directory.CreateDirectory(folder.Combine("data")).FullName;
        var a = RandomNumberGenerator.GetBytes(3_000_000);
        var b = RandomNumberGenerator.GetBytes(2_000_000);
        var c = RandomNumberGenerator.GetBytes(1_000_000);
        await File.WriteAllBytesAsync(Path.Combine(data, "a.bin"), a);
        await File.WriteAllBytesAsync(Path.Combine(data, "b.bin"), b);
        await File.WriteAllBytesAsync(Path.Combine(data, "c.bin"), c);
        var store = folder.Combine("store");

        var both = await LocalDatasets.AddAsync(store, "packed", data, "a, b and c", null, default);
        Assert.Equal((both.Chunks, 6_000_000L), (both.ChunksUploaded, both.BytesUploaded));
        var pack = Assert.Single(PackFiles(store));
        Assert.Equal(6_000_000, new FileInfo(pack).Length);
        Assert.False(Directory.Exists(Path.Combine(store, "artifacts", "datasets", "chunks")), "no chunk has a file of its own");

        File.Delete(Path.Combine(data, "b.bin"));
        var aAndC = await LocalDatasets.AddAsync(store, "packed", data, "a and c", null, default);
        Assert.Equal(0, aAndC.ChunksUploaded);

        await using var server = await KeelServer.StartAsync(o => o.DataDir = store);
        using var client = new KeelClient(server.BaseUri);
        await client.DownloadDatasetVersionAsync("packed", both.Version.Id, folder.Combine("v1"), folder.Combine("cache1"));
        Assert.Equal(a, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("v1"), "a.bin")));
        Assert.Equal(b, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("v1"), "b.bin")));
        Assert.Equal(c, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("v1"), "c.bin")));

        // b's chunks, between a's and c's in the pack, are freed with the first version; the pack
        // keeps only a's and c's, in a new file.
        await client.DeleteDatasetAsync("packed", both.Version.Id);
        var gc = await client.CollectDatasetGarbageAsync(grace: TimeSpan.Zero);
        Assert.Equal((both.Chunks - aAndC.Chunks, 2_000_000L, 0, 1), (gc.ChunksDeleted, gc.BytesFreed, gc.PacksDeleted, gc.PacksRewritten));
        var rewritten = Assert.Single(PackFiles(store));
        Assert.NotEqual(pack, rewritten);
        Assert.Equal(4_000_000, new FileInfo(rewritten).Length);
        await client.DownloadDatasetVersionAsync("packed", aAndC.Version.Id, folder.Combine("v2"), folder.Combine("cache2"));
        Assert.Equal(a, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("v2"), "a.bin")));
        Assert.Equal(c, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("v2"), "c.bin")));

        // Nothing left to free: a second collection rewrites nothing.
        var again = await client.CollectDatasetGarbageAsync(grace: TimeSpan.Zero);
        Assert.Equal((0, 0, 0), (again.ChunksDeleted, again.PacksDeleted, again.PacksRewritten));

        // A byte changed inside the pack (in a's first chunk): `get` names the chunk.
        await using (var file = new FileStream(rewritten, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 1_000;
            var original = file.ReadByte();
            file.Position = 1_000;
            file.WriteByte((byte)(original ^ 0xFF));
        }

        var victim = (await Keel.Data.Chunking.ContentChunker.ChunkFileAsync(Path.Combine(data, "a.bin"), Keel.Data.Chunking.ChunkingOptions.Default, null, default))[0].Hash;
        var error = await Assert.ThrowsAsync<Keel.Core.Errors.KeelException>(() => client.DownloadDatasetVersionAsync("packed", aAndC.Version.Id, folder.Combine("v3"), folder.Combine("cache3")));
        Assert.Contains(victim, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collection_deletes_a_pack_whose_chunks_are_all_freed_and_abandoned_writes_and_spares_young_ones()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("one.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(1_500_000));
        var store = folder.Combine("store");
        var added = await LocalDatasets.AddAsync(store, "gone", file, null, null, default);

        await using var server = await KeelServer.StartAsync(o => o.DataDir = store);
        using var client = new KeelClient(server.BaseUri);
        await client.DeleteDatasetAsync("gone");

        // What a killed add was still writing: an old one goes with any collection, a fresh one after the grace period.
        var packs = Path.Combine(store, "artifacts", DatasetService.PackFolder);
        string stale = Path.Combine(packs, "aa", "x.pack.1.partial"), fresh = Path.Combine(packs, "bb", "y.pack.2.partial");
        foreach (var partial in new[] { stale, fresh })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
            await File.WriteAllBytesAsync(partial, new byte[100]);
        }

        File.SetLastWriteTimeUtc(stale, TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-2));

        // Within the grace period the pack (and its chunks, claimed by the add) stay.
        var spared = await client.CollectDatasetGarbageAsync();
        Assert.Equal((0, 0, 0), (spared.ChunksDeleted, spared.PacksDeleted, spared.PacksRewritten));
        Assert.Single(PackFiles(store));
        Assert.Equal((false, true), (File.Exists(stale), File.Exists(fresh)));

        var gc = await client.CollectDatasetGarbageAsync(grace: TimeSpan.Zero);
        Assert.Equal((added.Chunks, 1_500_000L, 1, 0), (gc.ChunksDeleted, gc.BytesFreed, gc.PacksDeleted, gc.PacksRewritten));
        Assert.Empty(PackFiles(store));
        Assert.False(File.Exists(fresh));
    }

    private static string[] PackFiles(string store)
    {
        var packs = Path.Combine(store, "artifacts", DatasetService.PackFolder);
        return Directory.Exists(packs) ? Directory.GetFiles(packs, "*.pack", SearchOption.AllDirectories) : [];
    }
}
