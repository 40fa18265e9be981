using Keel.Client;
using Keel.Core.Tracking;
using Keel.Data.Versioning;
using Keel.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Cli.Commands;

/// <summary>
/// `keel data add --data-dir DIR`: the add done in this process against a local Keel data folder
/// (the same composition as `keel server` on it: its database and artifact folder), as `dvc add`
/// works on its local cache. Chunks are hashed once, while they are cut, and written straight
/// into the store, each window's new chunks (up to 32 MiB) into one pack file; a server running on
/// the same folder sees the version at once (SQLite allows a writer per process, taking turns).
/// </summary>
internal static class LocalDatasets
{
    public static async Task<DatasetAddResult> AddAsync(
        string dataDir, string name, string path, string? message, IProgress<DatasetProgress>? progress, CancellationToken ct)
    {
        var options = new KeelOptions { DataDir = dataDir };
        var services = new ServiceCollection().AddLogging().AddKeelTracking(options);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<TrackingService>().InitializeAsync(ct);
        var datasets = provider.GetRequiredService<DatasetService>();
        var window = new ChunkWindow(
            async (hashes, token) => await datasets.MissingChunksAsync(hashes, token),
            datasets.StorePackAsync);
        var manifest = await DatasetFiles.ChunkAsync(path, window,
            progress is null ? null : (done, total, file) => progress.Report(new DatasetProgress(done, total, file)), ct);
        var (version, created) = await datasets.CreateVersionAsync(name, manifest, message, Environment.UserName, null, null, ct);
        var info = new DatasetVersionInfo(version.Dataset, version.Id, version.Number, version.Message, version.Author, version.CreationTime,
            version.SizeBytes, version.FileCount, version.RowCount, $"keel://datasets/{version.Dataset}@{version.Id}", version.Deleted);
        return new DatasetAddResult(info, created, manifest.ChunkHashes.Count, window.ChunksStored, window.BytesStored);
    }
}
