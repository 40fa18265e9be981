using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Keel.Client.Internal;
using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Versioning;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>
    /// Adds a version of dataset <paramref name="name"/> from a file or a folder: the content is cut
    /// into content-defined chunks (FastCDC), only chunks the server lacks are uploaded (each
    /// verified by the server against its SHA-256), then the manifest is committed. The same content
    /// again stores nothing and returns the existing version. Memory stays flat in the file size.
    /// </summary>
    /// <param name="name">The dataset (created with its first version).</param>
    /// <param name="path">A file, or a folder whose files (recursively) make the version.</param>
    /// <param name="message">What changed, recorded with the version.</param>
    /// <param name="progress">Receives bytes chunked so far.</param>
    /// <param name="cancellationToken">Cancels the add; a cancelled add leaves no version.</param>
    /// <returns>The version and what was uploaded.</returns>
    /// <exception cref="KeelException">A path leaving the folder (a symbolic link to outside it), an unreadable file.</exception>
    public async Task<DatasetAddResult> AddDatasetVersionAsync(
        string name, string path, string? message = null, IProgress<DatasetProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var uploader = new ChunkWindow(
            async (hashes, ct) => await MissingChunksAsync(hashes, ct),
            UploadPackAsync);
        var manifest = await DatasetFiles.ChunkAsync(path, uploader,
            progress is null ? null : (done, total, file) => progress.Report(new DatasetProgress(done, total, file)), cancellationToken);
        using var document = await SendKeelAsync(HttpMethod.Post, "datasets/versions/create", null, w =>
        {
            w.WriteString("name", name);
            WriteOptional(w, "message", message);
            w.WritePropertyName("manifest");
            using var canonical = JsonDocument.Parse(manifest.Canonical);
            canonical.RootElement.WriteTo(w);
        }, cancellationToken);
        var root = document.RootElement;
        return new DatasetAddResult(DatasetVersionInfo.Read(root.GetProperty("version")), root.GetProperty("created").GetBoolean(),
            manifest.ChunkHashes.Count, uploader.ChunksStored, uploader.BytesStored);
    }

    /// <summary>A version of a dataset — by id, unique id prefix, number, or <c>latest</c> (null) — with its files and the runs that used it.</summary>
    /// <param name="name">The dataset.</param>
    /// <param name="version">Id, id prefix (4+ characters), number, or null for the latest.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version, its files and the runs whose inputs name it.</returns>
    public async Task<DatasetVersionDetails> GetDatasetVersionAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "datasets/versions/get", Query(("name", name), ("version", version)), null, cancellationToken);
        var root = document.RootElement;
        var files = root.GetProperty("manifest").GetProperty("files").EnumerateArray().Select(f => new DatasetFileInfo(
            f.GetProperty("path").GetString()!, f.GetProperty("size").GetInt64(),
            [.. f.GetProperty("chunks").EnumerateArray().Select(c => (c[0].GetString()!, c[1].GetInt64()))])).ToList();
        return new DatasetVersionDetails(DatasetVersionInfo.Read(root.GetProperty("version")), files,
            [.. root.GetProperty("runs").EnumerateArray().Select(r => r.GetString()!)]);
    }

    /// <summary>
    /// Writes a version's files under <paramref name="destination"/>, verifying every chunk's
    /// SHA-256 (a mismatch is an error naming the chunk and file, never silently written). Chunks
    /// already in the local cache are not downloaded again.
    /// </summary>
    /// <param name="name">The dataset.</param>
    /// <param name="version">Id, id prefix, number, or null for the latest.</param>
    /// <param name="destination">A folder (created when missing); each file goes to its path inside it.</param>
    /// <param name="cacheDirectory">The chunk cache; null for <c>$KEEL_DATA_CACHE</c> or the user's local application data.</param>
    /// <param name="progress">Receives bytes written so far.</param>
    /// <param name="cancellationToken">Cancels the download; a file is only moved into place once complete.</param>
    /// <returns>The version written.</returns>
    public async Task<DatasetVersionDetails> DownloadDatasetVersionAsync(
        string name, string? version, string destination, string? cacheDirectory = null, IProgress<DatasetProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var details = await GetDatasetVersionAsync(name, version, cancellationToken);
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        var cache = cacheDirectory ?? DefaultDataCache();
        var total = details.Files.Sum(f => f.Size);
        var done = 0L;
        foreach (var file in details.Files)
        {
            if (DatasetManifest.CheckPath(file.Path) is { } rule)
            {
                throw KeelException.Invalid($"The server named a file '{file.Path}' that cannot be written: {rule}.");
            }

            var target = Path.GetFullPath(Path.Combine(root, file.Path));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw KeelException.Invalid($"File '{file.Path}' would be written outside '{root}'.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var partial = target + ".keel-partial";
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                foreach (var chunk in file.Chunks)
                {
                    var bytes = await ReadChunkAsync(chunk.Hash, chunk.Size, file.Path, cache, cancellationToken);
                    await output.WriteAsync(bytes.AsMemory(0, (int)chunk.Size), cancellationToken);
                    ArrayPool<byte>.Shared.Return(bytes);
                    done += chunk.Size;
                    progress?.Report(new DatasetProgress(done, total, file.Path));
                }
            }

            File.Move(partial, target, overwrite: true);
        }

        return details;
    }

    /// <summary>
    /// Records that run <paramref name="runId"/> used a dataset version, through MLflow's
    /// <c>runs/log-inputs</c> (digest = version id, source = <c>keel://datasets/NAME@ID</c>, source type
    /// <c>keel</c>), so MLflow's clients and UI show it and the version lists the run.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="name">The dataset.</param>
    /// <param name="version">Id, id prefix, number, or null for the latest.</param>
    /// <param name="context">MLflow's <c>mlflow.data.context</c> tag: training, validation, test, …</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version recorded.</returns>
    public async Task<DatasetVersionInfo> LogDatasetInputAsync(
        string runId, string name, string? version = null, string? context = "training", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var resolved = (await GetDatasetVersionAsync(name, version, cancellationToken)).Version;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("run_id", runId);
            w.WriteStartArray("datasets");
            w.WriteStartObject();
            w.WriteStartArray("tags");
            if (context is not null)
            {
                w.WriteStartObject();
                w.WriteString("key", "mlflow.data.context");
                w.WriteString("value", context);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("dataset");
            w.WriteString("name", resolved.Name);
            w.WriteString("digest", resolved.Id);
            w.WriteString("source_type", "keel");
            w.WriteString("source", resolved.Source);
            w.WriteString("profile", JsonSerializer.Serialize(new Dictionary<string, long?>
            {
                ["num_files"] = resolved.FileCount,
                ["size_bytes"] = resolved.SizeBytes,
                ["num_rows"] = resolved.RowCount,
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.Value)));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, ApiUri("runs/log-inputs")) { Content = new ByteArrayContent(buffer.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return resolved;
    }

    /// <summary>
    /// Compares two versions file by file from their manifests (no data is downloaded): files
    /// added, removed, or changed — with how many bytes of the new file sit in chunks the old one
    /// lacks, which is what storing the change cost.
    /// </summary>
    /// <param name="fromName">The first version's dataset.</param>
    /// <param name="fromVersion">Id, prefix, number, or null for the latest.</param>
    /// <param name="toName">The second version's dataset.</param>
    /// <param name="toVersion">Id, prefix, number, or null for the latest.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changes.</returns>
    public async Task<DatasetDiff> DiffDatasetVersionsAsync(
        string fromName, string? fromVersion, string toName, string? toVersion, CancellationToken cancellationToken = default)
    {
        var from = await GetDatasetVersionAsync(fromName, fromVersion, cancellationToken);
        var to = await GetDatasetVersionAsync(toName, toVersion, cancellationToken);
        var before = from.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var after = to.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var changes = new List<DatasetFileChange>();
        var unchanged = 0;
        foreach (var path in before.Keys.Union(after.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var old = before.GetValueOrDefault(path);
            var next = after.GetValueOrDefault(path);
            if (old is null)
            {
                changes.Add(new DatasetFileChange(path, "added", null, next!.Size, next.Size));
            }
            else if (next is null)
            {
                changes.Add(new DatasetFileChange(path, "removed", old.Size, null, 0));
            }
            else if (old.Chunks.SequenceEqual(next.Chunks))
            {
                unchanged++;
            }
            else
            {
                var had = old.Chunks.Select(c => c.Hash).ToHashSet(StringComparer.Ordinal);
                changes.Add(new DatasetFileChange(path, "changed", old.Size, next.Size, next.Chunks.Where(c => !had.Contains(c.Hash)).Sum(c => c.Size)));
            }
        }

        return new DatasetDiff(from.Version, to.Version, changes, unchanged) { Tables = await DiffTablesAsync(from.Version, to.Version, cancellationToken) };
    }

    /// <summary>The datasets whose name contains <paramref name="nameContains"/> (all when null).</summary>
    public async Task<IReadOnlyList<DatasetInfo>> ListDatasetsAsync(string? nameContains = null, CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Get, "datasets/list", Query(("name_contains", nameContains)), null, cancellationToken);
        return [.. document.RootElement.GetProperty("datasets").EnumerateArray().Select(DatasetInfo.Read)];
    }

    /// <summary>A dataset's versions, newest first.</summary>
    public async Task<IReadOnlyList<DatasetVersionInfo>> ListDatasetVersionsAsync(string name, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "datasets/versions/list",
            Query(("name", name), ("include_deleted", includeDeleted ? "true" : null)), null, cancellationToken);
        return [.. document.RootElement.GetProperty("versions").EnumerateArray().Select(DatasetVersionInfo.Read)];
    }

    /// <summary>Deletes one version (by id, prefix or number), or the whole dataset when <paramref name="version"/> is null. Chunks are freed by <see cref="CollectDatasetGarbageAsync"/>.</summary>
    public async Task DeleteDatasetAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = version is null
            ? await SendKeelAsync(HttpMethod.Delete, "datasets/delete", null, w => w.WriteString("name", name), cancellationToken)
            : await SendKeelAsync(HttpMethod.Delete, "datasets/versions/delete", null, w =>
            {
                w.WriteString("name", name);
                w.WriteString("version", version);
            }, cancellationToken);
    }

    /// <summary>Frees chunks no live version references (nor a version a run used), sparing chunks claimed within the grace period.</summary>
    /// <param name="dryRun">Only count what would be freed.</param>
    /// <param name="grace">How recent a claim spares a chunk; null for the server's default (one hour).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was (or would be) freed.</returns>
    public async Task<DatasetGcResult> CollectDatasetGarbageAsync(bool dryRun = false, TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        using var document = await SendKeelAsync(HttpMethod.Post, "datasets/gc", null, w =>
        {
            w.WriteBoolean("dry_run", dryRun);
            if (grace is { } g)
            {
                w.WriteNumber("grace_seconds", g.TotalSeconds);
            }
        }, cancellationToken);
        var root = document.RootElement;
        return new DatasetGcResult(root.GetProperty("chunks_deleted").GetInt32(), root.GetProperty("bytes_freed").GetInt64(),
            root.GetProperty("chunks_kept").GetInt32(), root.GetProperty("dry_run").GetBoolean(),
            root.TryGetProperty("packs_deleted", out var deleted) ? deleted.GetInt32() : 0,
            root.TryGetProperty("packs_rewritten", out var rewritten) ? rewritten.GetInt32() : 0);
    }

    private static string DefaultDataCache() =>
        Environment.GetEnvironmentVariable("KEEL_DATA_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "keel", "chunks");

    /// <summary>A chunk's bytes (a pooled array, at least <paramref name="size"/> long): from the cache when there and intact, else from the server; verified either way.</summary>
    private async Task<byte[]> ReadChunkAsync(string hash, long size, string file, string cache, CancellationToken ct)
    {
        if (!DatasetManifest.IsChunkHash(hash) || size is <= 0 or > int.MaxValue)
        {
            throw KeelException.Invalid($"File '{file}' names chunk '{hash}' of size {size}, which is not a valid chunk.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)size);
        var cached = Path.Combine(cache, hash[..2], hash);
        if (File.Exists(cached) && new FileInfo(cached).Length == size)
        {
            await using (var input = File.OpenRead(cached))
            {
                await input.ReadExactlyAsync(buffer.AsMemory(0, (int)size), ct);
            }

            if (Matches(buffer, (int)size, hash))
            {
                return buffer;
            }

            // A damaged cache entry is dropped and fetched again.
            File.Delete(cached);
        }

        using (var response = await _http.GetAsync(KeelApiUri($"datasets/chunks/{hash}"), HttpCompletionOption.ResponseHeadersRead, ct))
        {
            await EnsureSuccessAsync(response, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, (int)size), (int)size, throwOnEndOfStream: false, ct);
            if (read != size || await body.ReadAsync(new byte[1], ct) != 0)
            {
                throw KeelException.Invalid($"Chunk {hash} of file '{file}' should hold {size} bytes but the server sent {(read != size ? read.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more")}.");
            }
        }

        if (!Matches(buffer, (int)size, hash))
        {
            throw KeelException.Invalid(
                $"Chunk {hash} of file '{file}' is corrupted in the store: its bytes hash to {Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, (int)size)))}. Nothing was written for it.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        var temporary = cached + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, buffer.AsMemory(0, (int)size), ct);
        File.Move(temporary, cached, overwrite: true);
        return buffer;
    }

    private static bool Matches(byte[] buffer, int size, string hash) =>
        string.Equals(Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, size))), hash, StringComparison.Ordinal);

    private async Task<IReadOnlyCollection<string>> MissingChunksAsync(IReadOnlyList<string> hashes, CancellationToken ct)
    {
        using var document = await SendKeelAsync(HttpMethod.Post, "datasets/chunks/missing", null, w =>
        {
            w.WriteStartArray("hashes");
            foreach (var hash in hashes)
            {
                w.WriteStringValue(hash);
            }

            w.WriteEndArray();
        }, ct);
        return [.. document.RootElement.GetProperty("missing").EnumerateArray().Select(m => m.GetString()!)];
    }

    /// <summary>Sends a window's new chunks in one request (the server verifies each and writes them into one pack file).</summary>
    private async Task UploadPackAsync(IReadOnlyList<ChunkBytes> chunks, CancellationToken ct)
    {
        if (chunks.Count == 0)
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, KeelApiUri("datasets/packs"))
        {
            Content = new SegmentsContent([.. chunks.Select(c => c.Bytes)]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add(DatasetService.PackHeader, string.Join(',', chunks.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Hash}:{c.Bytes.Length}"))));
        using var response = await _http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }
}
