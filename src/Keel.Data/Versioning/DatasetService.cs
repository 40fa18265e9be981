using System.Buffers;
using System.Security.Cryptography;
using Keel.Core.Artifacts;
using Keel.Core.Datasets;
using Keel.Core.Errors;

namespace Keel.Data.Versioning;

/// <summary>Limits of the dataset API.</summary>
public sealed class DatasetOptions
{
    /// <summary>Largest chunk accepted by an upload (the chunker's maximum is 4 MiB).</summary>
    public int MaxChunkBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest pack upload (<c>POST keel/datasets/packs</c>): a client sends a window of chunks (~32 MiB) at once.</summary>
    public int MaxPackBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Chunks one pack upload may list.</summary>
    public int MaxChunksPerPack { get; init; } = 256;

    /// <summary>Hashes one missing-chunks request may ask about.</summary>
    public int MaxHashesPerRequest { get; init; } = 10_000;

    /// <summary>
    /// How long a claimed or uploaded chunk is spared by garbage collection though no version
    /// references it yet: an add in progress has this long between its uploads and its commit.
    /// </summary>
    public TimeSpan GcGracePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Tabular files (CSV, Parquet, JSON lines) of a new version are profiled while it is committed
    /// when they hold at most this many bytes together; larger ones on demand
    /// (<c>keel data profile --compute</c>). A suite attached to the dataset always runs.
    /// </summary>
    public long MaxInlineProfileBytes { get; init; } = 256L * 1024 * 1024;

    public Keel.Data.Profiling.ProfileOptions Profile { get; init; } = Keel.Data.Profiling.ProfileOptions.Default;
}

/// <summary>
/// Dataset versioning over the artifact store (chunk bytes and manifests) and the dataset store
/// (metadata, references): chunks are uploaded once under their SHA-256 and verified on the way in,
/// a version commits a manifest whose chunks are all present, and garbage collection frees only
/// chunks that no live version (or run-used version) references and nobody claimed recently.
/// </summary>
public sealed partial class DatasetService(IDatasetStore store, IArtifactStore artifacts, TimeProvider clock, DatasetOptions? options = null)
{
    public const string ChunkFolder = "datasets/chunks";
    public const string ManifestFolder = "datasets/manifests";
    public const string PackFolder = "datasets/packs";
    public const int MaxNameLength = 256;
    public const int MaxMessageLength = 5000;

    private readonly DatasetOptions _options = options ?? new DatasetOptions();

    public IDatasetStore Store => store;

    public DatasetOptions Options => _options;

    public static string ChunkPath(string hash) => $"{ChunkFolder}/{hash[..2]}/{hash}";

    public static string ManifestPath(string id) => $"{ManifestFolder}/{id}.json";

    /// <summary>A pack's file; the folder is the id's last two hex digits (random), so packs spread over 256 folders.</summary>
    public static string PackPath(string id) => $"{PackFolder}/{id[^2..]}/{id}.pack";

    /// <summary>The hashes the store lacks; the ones it has are claimed for the caller's add.</summary>
    public Task<IReadOnlyList<string>> MissingChunksAsync(IReadOnlyList<string> hashes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count > _options.MaxHashesPerRequest)
        {
            throw KeelException.Invalid($"'hashes' holds {hashes.Count} entries; at most {_options.MaxHashesPerRequest} per request.");
        }

        for (var i = 0; i < hashes.Count; i++)
        {
            if (!DatasetManifest.IsChunkHash(hashes[i]))
            {
                throw KeelException.Invalid($"'hashes[{i}]' is '{hashes[i]}', not a SHA-256 in lowercase hex (64 characters).");
            }
        }

        return store.ClaimChunksAsync([.. hashes.Distinct(StringComparer.Ordinal)], Now, ct);
    }

    /// <summary>
    /// Stores a chunk's bytes under <paramref name="hash"/> after checking that they hash to it
    /// (the body is read whole, at most <see cref="DatasetOptions.MaxChunkBytes"/>, before anything is written).
    /// </summary>
    /// <param name="hash">The SHA-256 the bytes must have.</param>
    /// <param name="body">The bytes.</param>
    /// <param name="length">The body's announced length when known (Content-Length): the buffer is sized once.</param>
    /// <param name="ct">Cancels the upload; nothing is stored then.</param>
    public async Task PutChunkAsync(string hash, Stream body, long? length, CancellationToken ct)
    {
        if (!DatasetManifest.IsChunkHash(hash))
        {
            throw KeelException.Invalid($"Chunk hash '{hash}' is not a SHA-256 in lowercase hex (64 characters).");
        }

        if (length > _options.MaxChunkBytes)
        {
            throw KeelException.Invalid($"Chunk {hash} is {length} bytes, larger than the {_options.MaxChunkBytes / (1024 * 1024)} MiB a chunk may hold.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length is > 0 ? (int)length + 1 : 1024 * 1024);
        try
        {
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= _options.MaxChunkBytes)
                    {
                        throw new KeelException(ErrorCode.INVALID_PARAMETER_VALUE,
                            $"Chunk {hash} is larger than the {_options.MaxChunkBytes / (1024 * 1024)} MiB a chunk may hold.");
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxChunkBytes));
                    buffer.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(total, Math.Min(buffer.Length, _options.MaxChunkBytes + 1) - total), ct);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            if (total == 0)
            {
                throw KeelException.Invalid($"Chunk {hash} has no bytes; chunks are never empty.");
            }

            var actual = Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, total)));
            if (!string.Equals(actual, hash, StringComparison.Ordinal))
            {
                throw KeelException.Invalid($"Chunk hash mismatch: the uploaded bytes hash to {actual}, not {hash}; nothing was stored.");
            }

            await artifacts.WriteAsync(ChunkPath(hash), new MemoryStream(buffer, 0, total, writable: false), ct);
            await store.AddChunkAsync(new ChunkInfo(hash, total), Now, ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A chunk's bytes, or a not-found error naming it.</summary>
    public async Task<Stream> OpenChunkAsync(string hash, CancellationToken ct)
    {
        if (!DatasetManifest.IsChunkHash(hash))
        {
            throw KeelException.Invalid($"Chunk hash '{hash}' is not a SHA-256 in lowercase hex (64 characters).");
        }

        string? pack = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var located = await store.FindChunkAsync(hash, ct);
            if (located?.Pack is null)
            {
                return await artifacts.OpenReadAsync(ChunkPath(hash), ct)
                    ?? throw KeelException.NotFound($"Chunk {hash} is not in the store.");
            }

            pack = located.Pack;
            var stream = await artifacts.OpenReadAsync(PackPath(pack), located.Offset, located.Size, ct);
            if (stream is not null)
            {
                return stream;
            }

            // A collection may have just rewritten the pack and moved the chunk: look it up again.
        }

        throw KeelException.NotFound($"Chunk {hash} is recorded in pack {pack}, whose file is missing from the artifact store.");
    }

    /// <summary>
    /// Commits a version of <paramref name="name"/> holding <paramref name="manifest"/>: every chunk
    /// must be stored already. The same content again returns the existing version (Created false).
    /// </summary>
    public async Task<(DatasetVersion Version, bool Created)> CreateVersionAsync(
        string name, DatasetManifest manifest, string? message, string? author, long? rowCount, string? schema, CancellationToken ct)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(manifest);
        if (message is { Length: > MaxMessageLength })
        {
            throw KeelException.Invalid($"'message' is {message.Length} characters long; at most {MaxMessageLength}.");
        }

        // The manifest is written first (content-addressed: writing it twice is harmless); a version
        // row never points to a manifest that is not there.
        await artifacts.WriteAsync(ManifestPath(manifest.Id), new MemoryStream(manifest.Canonical, writable: false), ct);
        var tables = VersionTables.None;
        if (await store.FindVersionAsync(name, manifest.Id, ct) is not { Deleted: false })
        {
            // Claimed before they are read, so a collection running meanwhile keeps them.
            var missing = await store.ClaimChunksAsync([.. manifest.ChunkHashes], Now, ct);
            if (missing.Count > 0)
            {
                throw MissingChunks(missing);
            }

            tables = await CheckTablesAsync(name, manifest, ct);
        }

        var version = new DatasetVersion(
            name, manifest.Id, 0, message, author, Now, manifest.SizeBytes, manifest.Files.Count,
            rowCount ?? tables.RowCount, schema ?? tables.Schema, false);
        var result = await store.CreateVersionAsync(version, manifest.ChunkHashes, ct);
        if (result.Version is null)
        {
            throw MissingChunks(result.MissingChunks);
        }

        return (result.Version, result.Created);
    }

    private static KeelException MissingChunks(IReadOnlyList<string> missing) => KeelException.Invalid(
        $"{missing.Count} chunk{(missing.Count == 1 ? " is" : "s are")} not in the store ({string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? ", …" : "")}); upload them, then commit the version again.");

    /// <summary>
    /// Profiles a new version's tables and runs the dataset's suite on them: a failure with
    /// <c>on_add: refuse</c> is an error listing the failed rules; profiles and reports are stored
    /// under the version id before its row exists (content-addressed, so a retry rewrites the same).
    /// </summary>
    private async Task<VersionTables> CheckTablesAsync(string name, DatasetManifest manifest, CancellationToken ct)
    {
        var suiteYaml = await ReadSuiteAsync(name, ct);
        var suite = suiteYaml is null ? null : Keel.Data.Validation.ExpectationSuite.Parse(suiteYaml);
        var reference = suite is null ? null : await ReferenceProfileAsync(suite, ct);
        var tables = await ReadTablesAsync(manifest, suite, reference, _options.MaxInlineProfileBytes, ct);
        var failed = tables.Reports.Where(r => !r.Value.Success).ToList();
        if (suite is { OnAdd: Keel.Data.Validation.OnFailure.Refuse } && failed.Count > 0)
        {
            var rules = failed.SelectMany(r => r.Value.Results.Where(x => !x.Passed).Select(x => $"{r.Key}: {x.Column ?? "table"} {x.Rule} (expected {x.Expected}, observed {x.Observed})")).ToList();
            throw KeelException.Invalid(
                $"The new version of dataset '{name}' fails its suite '{suite.Name}' ({rules.Count} rule{(rules.Count == 1 ? "" : "s")}): {string.Join("; ", rules.Take(5))}{(rules.Count > 5 ? "; …" : "")}. Fix the data, or change the suite (on_add: warn keeps failing versions).");
        }

        if (tables.Profiles.Count > 0)
        {
            await WriteJsonAsync(ProfilePath(manifest.Id), tables.Profiles, ct);
        }

        if (tables.Reports.Count > 0)
        {
            await WriteJsonAsync(ReportPath(manifest.Id), tables.Reports, ct);
        }

        return tables;
    }

    public async Task<VersionedDataset> GetDatasetAsync(string name, CancellationToken ct) =>
        await store.GetDatasetAsync(name, ct) ?? throw KeelException.NotFound($"Dataset '{name}' does not exist.");

    /// <summary>A version by id, id prefix, number, or "latest"; a not-found error names what was asked.</summary>
    public async Task<DatasetVersion> GetVersionAsync(string name, string? reference, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(reference) || string.Equals(reference, "latest", StringComparison.Ordinal))
        {
            var dataset = await GetDatasetAsync(name, ct);
            reference = dataset.LatestVersion ?? throw KeelException.NotFound($"Dataset '{name}' has no versions.");
        }

        return await store.FindVersionAsync(name, reference, ct)
            ?? throw KeelException.NotFound($"Dataset '{name}' has no version '{reference}'.");
    }

    /// <summary>The stored manifest of a version.</summary>
    public async Task<DatasetManifest> ReadManifestAsync(string id, CancellationToken ct)
    {
        await using var stream = await artifacts.OpenReadAsync(ManifestPath(id), ct)
            ?? throw KeelException.NotFound($"The manifest of dataset version {id} is missing from the artifact store.");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        var manifest = DatasetManifest.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        return string.Equals(manifest.Id, id, StringComparison.Ordinal) ? manifest
            : throw new KeelException(ErrorCode.INTERNAL_ERROR, $"The stored manifest of dataset version {id} hashes to {manifest.Id}: it was altered.");
    }

    public async Task DeleteVersionAsync(string name, string reference, CancellationToken ct)
    {
        var version = await GetVersionAsync(name, reference, ct);
        await store.DeleteVersionAsync(name, version.Id, ct);
    }

    public async Task DeleteDatasetAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteDatasetAsync(name, ct))
        {
            throw KeelException.NotFound($"Dataset '{name}' does not exist.");
        }
    }

    /// <summary>
    /// Frees chunks no live version references and nobody claimed within the grace period: the
    /// store forgets each one (re-checked in its own transaction, so a concurrent add that claimed it
    /// keeps it), then its bytes are deleted.
    /// </summary>
    public async Task<GcReport> CollectGarbageAsync(bool dryRun, TimeSpan? grace, CancellationToken ct)
    {
        var cutoff = Now - (long)(grace ?? _options.GcGracePeriod).TotalMilliseconds;
        var deleted = 0;
        var bytes = 0L;
        var kept = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            // A dry run forgets nothing, so it reads every candidate at once; a real run reads until none is left.
            var batch = (await store.FindGarbageAsync(cutoff, dryRun ? int.MaxValue : 1000, ct)).Where(c => seen.Add(c.Hash)).ToList();
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var chunk in batch)
            {
                if (dryRun)
                {
                    (deleted, bytes) = (deleted + 1, bytes + chunk.Size);
                }
                else if (await store.ForgetChunkAsync(chunk.Hash, cutoff, ct))
                {
                    // A packed chunk's bytes go when its pack is rewritten or deleted, below.
                    if (chunk.Pack is null)
                    {
                        await artifacts.DeleteAsync(ChunkPath(chunk.Hash), ct);
                    }

                    (deleted, bytes) = (deleted + 1, bytes + chunk.Size);
                }
                else
                {
                    kept++;
                }
            }
        }

        if (dryRun)
        {
            return new GcReport(deleted, bytes, kept, dryRun);
        }

        var (packsDeleted, packsRewritten) = await CollectPacksAsync(cutoff, ct);

        // Packs and chunks a killed add was still writing (never recorded, never renamed into place).
        var abandoned = DateTimeOffset.FromUnixTimeMilliseconds(cutoff);
        await artifacts.DeleteAbandonedWritesAsync(PackFolder, abandoned, ct);
        await artifacts.DeleteAbandonedWritesAsync(ChunkFolder, abandoned, ct);
        return new GcReport(deleted, bytes, kept, dryRun, packsDeleted, packsRewritten);
    }

    /// <summary>A dataset name: 1–256 characters, no '/', '@', ':' or control character (they delimit `NAME@VERSION` and URIs).</summary>
    public static void CheckName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw KeelException.Invalid("'name' is required: the dataset's name.");
        }

        if (name.Length > MaxNameLength)
        {
            throw KeelException.Invalid($"'name' is {name.Length} characters long; a dataset name has at most {MaxNameLength}.");
        }

        if (name.IndexOfAny(['/', '@', ':', '\\']) >= 0 || name.Any(char.IsControl) || name.Trim().Length != name.Length)
        {
            throw KeelException.Invalid($"Invalid dataset name '{name}': it may not contain '/', '@', ':', '\\', control characters, or start or end with a space.");
        }
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
