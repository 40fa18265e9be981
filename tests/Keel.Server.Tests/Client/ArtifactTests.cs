using System.Net;
using System.Security.Cryptography;
using System.Text;
using Keel.Client;
using Keel.Testing;

namespace Keel.Server.Tests.Client;

/// <summary>Artifact upload, listing and download through the server's artifact proxy (reference §2.5, §2.7).</summary>
public sealed class ArtifactTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    [Fact]
    public async Task A_folder_with_a_20_MB_file_uploads_and_downloads_byte_for_byte()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["weights.bin"] = RandomBytes(20 * 1024 * 1024 + 17),
            ["config.json"] = Encoding.UTF8.GetBytes("{\"layers\": 3}"),
            ["nested/deeper/notes with spaces.txt"] = Encoding.UTF8.GetBytes("héllo wörld\n"),
            ["nested/empty.dat"] = [],
        };
        foreach (var (path, bytes) in files)
        {
            var local = source.Combine(path.Split('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            await File.WriteAllBytesAsync(local, bytes);
        }

        using var client = new KeelClient(fixture.BaseUri);
        string runId;
        await using (var run = await client.StartRunAsync(SharedKeelServer.UniqueName("artifacts")))
        {
            runId = run.RunId;
            await run.LogArtifactsAsync(source.Path, "model");
            await run.LogArtifactAsync(source.Combine("config.json"));
        }

        var root = await client.ListArtifactsAsync(runId);
        Assert.Equal(["config.json", "model"], root.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.True(root.Single(f => f.Path == "model").IsDir);
        var model = await client.ListArtifactsAsync(runId, "model");
        var weights = model.Single(f => f.Path == "model/weights.bin");
        Assert.Equal(files["weights.bin"].Length, weights.FileSize);
        Assert.False(weights.IsDir);

        var downloaded = await client.DownloadArtifactsAsync(runId, "model", target.Path);
        Assert.Equal(target.Combine("model"), downloaded);
        foreach (var (path, bytes) in files)
        {
            var local = target.Combine(["model", .. path.Split('/')]);
            Assert.True(File.Exists(local), $"{path} was not downloaded");
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(local)));
        }

        Assert.Empty(Directory.EnumerateFiles(target.Path, "*.partial", SearchOption.AllDirectories));

        // One file by itself, and everything from the root.
        var single = await client.DownloadArtifactsAsync(runId, "config.json", target.Combine("one"));
        Assert.Equal(files["config.json"], await File.ReadAllBytesAsync(single));
        var everything = await client.DownloadArtifactsAsync(runId, null, target.Combine("all"));
        Assert.True(File.Exists(Path.Combine(everything, "model", "nested", "deeper", "notes with spaces.txt")));
        Assert.True(File.Exists(Path.Combine(everything, "config.json")));
    }

    [Fact]
    public async Task A_stream_uploads_and_opens_as_a_stream()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("streams"));
        var runId = (await client.CreateRunAsync(experimentId)).Info.RunId;
        var bytes = RandomBytes(300_000);

        using (var content = new MemoryStream(bytes))
        {
            await client.UploadArtifactAsync(runId, "data/blob.bin", content);
            Assert.True(content.CanRead, "the caller's stream must stay open");
        }

        await using var opened = await client.OpenArtifactAsync(runId, "data/blob.bin");
        using var copy = new MemoryStream();
        await opened.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task A_missing_artifact_is_a_404_KeelApiException()
    {
        using var client = new KeelClient(fixture.BaseUri);
        var experimentId = await client.CreateExperimentAsync(SharedKeelServer.UniqueName("missing"));
        var runId = (await client.CreateRunAsync(experimentId)).Info.RunId;

        var error = await Assert.ThrowsAsync<KeelApiException>(() => client.OpenArtifactAsync(runId, "nope.txt"));
        Assert.Equal(HttpStatusCode.NotFound, error.HttpStatus);
        Assert.Empty(await client.ListArtifactsAsync(runId, "nothing-here"));
    }

    [Fact]
    public async Task Paths_that_leave_the_run_root_are_refused_before_any_request()
    {
        using var client = new KeelClient(fixture.BaseUri);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListArtifactsAsync("0123456789abcdef0123456789abcdef", "../other"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.OpenArtifactAsync("0123456789abcdef0123456789abcdef", "a\\b"));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
