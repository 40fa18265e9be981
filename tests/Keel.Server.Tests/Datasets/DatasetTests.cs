using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keel.Client;
using Keel.Core.Errors;
using Keel.Data.Versioning;
using Keel.Server.Tests.Client;
using Keel.Testing;

namespace Keel.Server.Tests.Datasets;

/// <summary>Dataset versioning end to end: the client chunks and uploads, the server verifies, stores, serves and collects.</summary>
public sealed class DatasetTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    private static string Csv(int rows, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder("id,x,y,label\n");
        for (var i = 0; i < rows; i++)
        {
            text.Append(i).Append(',').Append(random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(',')
                .Append(random.Next(1000)).Append(',').Append(i % 3 == 0 ? "a" : "b").Append('\n');
        }

        return text.ToString();
    }

    [Fact]
    public async Task Adding_the_same_file_twice_stores_nothing_new_and_get_restores_it_byte_for_byte()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("train.csv");
        await File.WriteAllTextAsync(file, Csv(200_000));
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("train");

        var first = await client.AddDatasetVersionAsync(name, file, "first cut");
        var second = await client.AddDatasetVersionAsync(name, file);

        Assert.True(first.Created);
        Assert.Equal(first.Chunks, first.ChunksUploaded);
        Assert.False(second.Created);
        Assert.Equal(0, second.ChunksUploaded);
        Assert.Equal(first.Version.Id, second.Version.Id);
        Assert.Equal(32, first.Version.Id.Length);
        Assert.Equal($"keel://datasets/{name}@{first.Version.Id}", first.Version.Source);
        Assert.Equal(new FileInfo(file).Length, first.Version.SizeBytes);

        var target = folder.Combine("out");
        var details = await client.DownloadDatasetVersionAsync(name, null, target, folder.Combine("cache"));
        Assert.Equal(["train.csv"], details.Files.Select(f => f.Path));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(target, "train.csv")));
    }

    [Fact]
    public async Task Appending_rows_uploads_only_the_chunks_around_the_change()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("events.csv");
        var original = Csv(400_000, seed: 7);
        await File.WriteAllTextAsync(file, original);
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("events");
        var first = await client.AddDatasetVersionAsync(name, file);

        await File.AppendAllTextAsync(file, string.Concat(Csv(1_000, seed: 8).Split('\n').Skip(1).Select(l => l.Length == 0 ? "" : l + "\n")));
        var second = await client.AddDatasetVersionAsync(name, file, "1,000 more rows");

        Assert.True(second.Created);
        Assert.Equal(2, second.Version.Number);
        Assert.NotEqual(first.Version.Id, second.Version.Id);
        // ~15 MB in 1 MiB chunks: the appended rows land in the last chunk or two.
        Assert.InRange(second.ChunksUploaded, 1, 2);
        Assert.True(second.BytesUploaded < second.Version.SizeBytes / 5, $"{second.BytesUploaded} of {second.Version.SizeBytes} bytes uploaded");
        var log = await client.ListDatasetVersionsAsync(name);
        Assert.Equal([2, 1], log.Select(v => v.Number));
        Assert.Equal("1,000 more rows", log[0].Message);
        var diff = await client.DiffDatasetVersionsAsync(name, "1", name, "2");
        var change = Assert.Single(diff.Changes);
        Assert.Equal(("events.csv", "changed", second.BytesUploaded), (change.Path, change.Change, change.NewBytes));
        Assert.True(change.NewSize > change.OldSize);
    }

    [Fact]
    public async Task A_folder_keeps_its_relative_paths_and_a_version_is_found_by_number_and_prefix()
    {
        using var folder = new TempDirectory();
        var root = folder.Combine("images");
        Directory.CreateDirectory(Path.Combine(root, "cats"));
        await File.WriteAllBytesAsync(Path.Combine(root, "cats", "a.bin"), RandomNumberGenerator.GetBytes(300_000));
        await File.WriteAllBytesAsync(Path.Combine(root, "b.bin"), RandomNumberGenerator.GetBytes(10));
        await File.WriteAllBytesAsync(Path.Combine(root, "empty.txt"), []);
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("images");

        var added = await client.AddDatasetVersionAsync(name, root);

        Assert.Equal(3, added.Version.FileCount);
        File.Delete(Path.Combine(root, "b.bin"));
        await File.WriteAllBytesAsync(Path.Combine(root, "c.bin"), RandomNumberGenerator.GetBytes(10));
        await client.AddDatasetVersionAsync(name, root);
        var diff = await client.DiffDatasetVersionsAsync(name, "1", name, null);
        Assert.Equal([("b.bin", "removed"), ("c.bin", "added")], diff.Changes.Select(c => (c.Path, c.Change)));
        Assert.Equal(2, diff.Unchanged);
        var byNumber = await client.GetDatasetVersionAsync(name, "1");
        var byPrefix = await client.GetDatasetVersionAsync(name, added.Version.Id[..8]);
        Assert.Equal(["b.bin", "cats/a.bin", "empty.txt"], byNumber.Files.Select(f => f.Path));
        Assert.Equal(added.Version.Id, byPrefix.Version.Id);
        var target = folder.Combine("copy");
        await client.DownloadDatasetVersionAsync(name, added.Version.Id, target, folder.Combine("cache"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(root, "cats", "a.bin")), await File.ReadAllBytesAsync(Path.Combine(target, "cats", "a.bin")));
        Assert.Equal(0, new FileInfo(Path.Combine(target, "empty.txt")).Length);
        var missing = await Assert.ThrowsAsync<KeelApiException>(() => client.GetDatasetVersionAsync(name, "7"));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatus);
    }

    [Fact]
    public async Task A_corrupted_chunk_in_the_store_is_named_on_get_and_never_written()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("data.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(3_000_000));
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("corrupt");
        var added = await client.AddDatasetVersionAsync(name, file);
        var details = await client.GetDatasetVersionAsync(name);
        var victim = details.Files[0].Chunks[1].Hash;
        var (stored, offset) = await ChunkBytesAsync(victim);
        await using (var pack = new FileStream(stored, FileMode.Open, FileAccess.ReadWrite))
        {
            pack.Position = offset + 1234;
            var original = pack.ReadByte();
            pack.Position = offset + 1234;
            pack.WriteByte((byte)(original ^ 0xFF));
        }

        var target = folder.Combine("out");
        var error = await Assert.ThrowsAsync<KeelException>(() => client.DownloadDatasetVersionAsync(name, added.Version.Id, target, folder.Combine("cache")));

        Assert.Contains(victim, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupted", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(target, "data.bin")));
    }

    [Fact]
    public async Task A_pack_upload_is_refused_whole_when_a_chunk_does_not_match_or_its_list_does_not_fit_the_body()
    {
        using var http = fixture.Server.CreateClient();
        var one = RandomNumberGenerator.GetBytes(1000);
        var two = RandomNumberGenerator.GetBytes(500);
        string first = Convert.ToHexStringLower(SHA256.HashData(one)), second = Convert.ToHexStringLower(SHA256.HashData(two));

        async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string? list, byte[] body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/2.0/keel/datasets/packs") { Content = new ByteArrayContent(body) };
            if (list is not null)
            {
                request.Headers.Add(DatasetService.PackHeader, list);
            }

            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
        }

        var (status, error) = await PostAsync($"{first}:1000,{second}:500", [.. one, .. two.Reverse()]);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_PARAMETER_VALUE", error.GetProperty("error_code").GetString());
        Assert.Contains($"chunk 1 of the pack hashes to", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(second, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await Service.Store.FindChunkAsync(first, default));

        Assert.Contains("add up to 1500", (await PostAsync($"{first}:1000,{second}:500", one)).Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("'X-Keel-Pack' is required", (await PostAsync(null, one)).Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("needs a size after the hash", (await PostAsync(first, one)).Body.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (stored, result) = await PostAsync($"{first}:1000,{second}:500", [.. one, .. two]);
        Assert.Equal(HttpStatusCode.OK, stored);
        Assert.Equal(2, result.GetProperty("chunks_stored").GetInt32());
        Assert.Equal(1000, (await Service.Store.FindChunkAsync(second, default))!.Offset);
        Assert.Equal(two, await http.GetByteArrayAsync($"/api/2.0/keel/datasets/chunks/{second}"));
    }

    [Fact]
    public async Task The_server_refuses_a_chunk_whose_bytes_do_not_match_its_hash_and_a_version_with_missing_chunks()
    {
        using var http = fixture.Server.CreateClient();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var wrong = Convert.ToHexStringLower(SHA256.HashData("other"u8));
        using var put = await http.PutAsync($"/api/2.0/keel/datasets/chunks/{wrong}", new ByteArrayContent(bytes));
        var error = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("INVALID_PARAMETER_VALUE", error.GetProperty("error_code").GetString());
        Assert.Contains("hash mismatch", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var get = await http.GetAsync($"/api/2.0/keel/datasets/chunks/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var name = SharedKeelServer.UniqueName("refused");
        using var create = await http.PostAsJsonAsync("/api/2.0/keel/datasets/versions/create", new
        {
            name,
            manifest = new { files = new[] { new { path = "a.bin", size = 1000, chunks = new object[] { new object[] { hash, 1000 } } } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        Assert.Contains(hash, await create.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var dataset = await http.GetAsync($"/api/2.0/keel/datasets/get?name={name}");
        Assert.Equal(HttpStatusCode.NotFound, dataset.StatusCode);

        using var escape = await http.PostAsJsonAsync("/api/2.0/keel/datasets/versions/create", new
        {
            name,
            manifest = new { files = new[] { new { path = "../etc/passwd", size = 0, chunks = Array.Empty<object>() } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, escape.StatusCode);
        Assert.Contains("'../etc/passwd'", await escape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symbolic_link_out_of_the_folder_is_an_error_naming_it()
    {
        using var folder = new TempDirectory();
        var root = folder.Combine("data");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "ok.csv"), "a\n1\n");
        await File.WriteAllTextAsync(folder.Combine("secret.txt"), "no");
        File.CreateSymbolicLink(Path.Combine(root, "leak.txt"), folder.Combine("secret.txt"));
        using var client = new KeelClient(fixture.BaseUri);

        var error = await Assert.ThrowsAsync<KeelException>(() => client.AddDatasetVersionAsync(SharedKeelServer.UniqueName("links"), root));

        Assert.Contains("'leak.txt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("outside the dataset folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gc_frees_only_chunks_of_deleted_versions_and_keeps_those_a_run_used()
    {
        using var folder = new TempDirectory();
        using var client = new KeelClient(fixture.BaseUri);
        var kept = folder.Combine("kept.bin");
        var dropped = folder.Combine("dropped.bin");
        var used = folder.Combine("used.bin");
        await File.WriteAllBytesAsync(kept, RandomNumberGenerator.GetBytes(500_000));
        await File.WriteAllBytesAsync(dropped, RandomNumberGenerator.GetBytes(700_000));
        await File.WriteAllBytesAsync(used, RandomNumberGenerator.GetBytes(600_000));
        var name = SharedKeelServer.UniqueName("gc");
        var keptVersion = await client.AddDatasetVersionAsync(name, kept);
        var droppedVersion = await client.AddDatasetVersionAsync(name, dropped);
        var usedVersion = await client.AddDatasetVersionAsync(name, used);
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("gc-run")))
        {
            runId = run.RunId;
            await client.LogDatasetInputAsync(run.RunId, name, usedVersion.Version.Id[..6]);
        }

        await client.DeleteDatasetAsync(name, droppedVersion.Version.Id);
        await client.DeleteDatasetAsync(name, "3");
        var dry = await client.CollectDatasetGarbageAsync(dryRun: true, grace: TimeSpan.Zero);
        var gc = await client.CollectDatasetGarbageAsync(grace: TimeSpan.Zero);

        Assert.True(dry.DryRun);
        Assert.True(gc.ChunksDeleted >= 1);
        Assert.True(gc.BytesFreed >= 700_000);
        var target = folder.Combine("out");
        await client.DownloadDatasetVersionAsync(name, keptVersion.Version.Id, target, folder.Combine("cache1"));
        await client.DownloadDatasetVersionAsync(name, usedVersion.Version.Id, folder.Combine("out2"), folder.Combine("cache2"));
        Assert.Equal(await File.ReadAllBytesAsync(used), await File.ReadAllBytesAsync(Path.Combine(folder.Combine("out2"), "used.bin")));
        var gone = await Assert.ThrowsAsync<KeelApiException>(() => client.DownloadDatasetVersionAsync(name, droppedVersion.Version.Id, folder.Combine("out3"), folder.Combine("cache3")));
        Assert.Equal(HttpStatusCode.NotFound, gone.HttpStatus);
        var details = await client.GetDatasetVersionAsync(name, usedVersion.Version.Id);
        Assert.Equal([runId], details.Runs);
    }

    [Fact]
    public async Task An_interrupted_add_leaves_no_version_and_running_it_again_completes_with_what_was_sent()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("big.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(80 * 1024 * 1024));
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("interrupted");
        using var stop = new CancellationTokenSource();

        // Cancelled once the first chunk is stored (uploads run behind the chunking, so a byte
        // count alone may cancel before anything reached the server on a busy machine).
        var first = (await Keel.Data.Chunking.ContentChunker.ChunkFileAsync(file, Keel.Data.Chunking.ChunkingOptions.Default, null, default))[0];
        var progress = new SynchronousProgress(p =>
        {
            if (p.BytesDone > 50L * 1024 * 1024 && !stop.IsCancellationRequested)
            {
                SpinWait.SpinUntil(() => Service.Store.FindChunkAsync(first.Hash, default).GetAwaiter().GetResult() is not null, TimeSpan.FromSeconds(30));
                stop.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.AddDatasetVersionAsync(name, file, null, progress, stop.Token));

        var absent = await Assert.ThrowsAsync<KeelApiException>(() => client.ListDatasetVersionsAsync(name));
        Assert.Equal(HttpStatusCode.NotFound, absent.HttpStatus);
        var completed = await client.AddDatasetVersionAsync(name, file);
        Assert.True(completed.Created);
        Assert.True(completed.ChunksUploaded < completed.Chunks, $"{completed.ChunksUploaded} of {completed.Chunks} uploaded again");
        await client.DownloadDatasetVersionAsync(name, null, folder.Combine("out"), folder.Combine("cache"));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(folder.Combine("out"), "big.bin")));
    }

    [Fact]
    public async Task A_collection_between_an_adds_claim_and_its_commit_spares_the_claimed_chunks()
    {
        var service = (DatasetService)fixture.Server.Services.GetService(typeof(DatasetService))!;
        using var folder = new TempDirectory();
        var file = folder.Combine("claimed.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(2_000_000));
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("claimed");
        var first = await client.AddDatasetVersionAsync(name, file);
        var manifest = await service.ReadManifestAsync(first.Version.Id, default);
        await client.DeleteDatasetAsync(name);

        // An add of the same content begins: it asks which chunks are missing (none: it claims them all).
        Assert.Empty(await service.MissingChunksAsync([.. manifest.ChunkHashes], default));
        // A collection now (default grace) finds them unreferenced but freshly claimed: it keeps them.
        var gc = await service.CollectGarbageAsync(dryRun: false, grace: null, default);
        foreach (var hash in manifest.ChunkHashes)
        {
            Assert.NotNull(await service.Store.FindChunkAsync(hash, default));
        }

        // The add commits; every chunk is there.
        var (version, created) = await service.CreateVersionAsync(name, manifest, null, null, null, null, default);
        Assert.True(created);
        await client.DownloadDatasetVersionAsync(name, version.Id, folder.Combine("out"), folder.Combine("cache"));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(folder.Combine("out"), "claimed.bin")));
        Assert.True(gc.ChunksDeleted >= 0);

        // A collection with no grace does take unreferenced chunks; a commit after it fails and names them.
        await client.DeleteDatasetAsync(name);
        await service.CollectGarbageAsync(dryRun: false, grace: TimeSpan.Zero, default);
        var error = await Assert.ThrowsAsync<KeelException>(() => service.CreateVersionAsync(name, manifest, null, null, null, null, default));
        Assert.Contains("not in the store", error.Message, StringComparison.Ordinal);
        Assert.Null(await service.Store.GetDatasetAsync(name, default));
    }

    private DatasetService Service => (DatasetService)fixture.Server.Services.GetService(typeof(DatasetService))!;

    /// <summary>The file holding a stored chunk's bytes (its pack, or its own file) and where in it they start.</summary>
    private async Task<(string File, long Offset)> ChunkBytesAsync(string hash)
    {
        var chunk = await Service.Store.FindChunkAsync(hash, default) ?? throw new InvalidOperationException($"Chunk {hash} is not stored.");
        var path = chunk.Pack is null ? DatasetService.ChunkPath(hash) : DatasetService.PackPath(chunk.Pack);
        return (Path.Combine(fixture.Server.Options.ArtifactsDestination ?? Path.Combine(fixture.Server.DataDir, "artifacts"),
            path.Replace('/', Path.DirectorySeparatorChar)), chunk.Offset);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the pool, too late to cancel at a byte count).</summary>
    private sealed class SynchronousProgress(Action<DatasetProgress> report) : IProgress<DatasetProgress>
    {
        public void Report(DatasetProgress value) => report(value);
    }
}
