using System.Buffers;
using System.Security.Cryptography;
using Keel.Core.Artifacts;
using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Chunking;

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

    /// <summary>
    /// Stores chunks whose hashes this process computed itself (a local add) together in one new
    /// pack file, written in one go, then records where each one is (one transaction). The pack is
    /// recorded first, so a collection running meanwhile leaves it alone.
    /// </summary>
    public async Task StorePackAsync(IReadOnlyList<ChunkBytes> chunks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            return;
        }

        var id = NewPackId();
        var located = new StoredChunk[chunks.Count];
        var segments = new ReadOnlyMemory<byte>[chunks.Count];
        var offset = 0L;
        for (var i = 0; i < chunks.Count; i++)
        {
            var (hash, bytes) = chunks[i];
            if (!DatasetManifest.IsChunkHash(hash) || bytes.Length == 0)
            {
                throw KeelException.Invalid($"Chunk hash '{hash}' is not a SHA-256 in lowercase hex, or the chunk is empty.");
            }

            located[i] = new StoredChunk(hash, bytes.Length, id, offset);
            segments[i] = bytes;
            offset += bytes.Length;
        }

        await store.RegisterPackAsync(id, offset, Now, ct);
        await using (var content = new SegmentStream(segments))
        {
            await artifacts.WriteAsync(PackPath(id), content, ct);
        }

        await store.AddPackedChunksAsync(located, Now, ct);
    }

    /// <summary>
    /// Stores an uploaded pack: <paramref name="chunkList"/> names its chunks in order
    /// (<c>hash:size,hash:size,…</c>, the <c>X-Keel-Pack</c> header) and the body is their bytes one
    /// after the other. Every chunk is checked against its hash (on all cores) before anything is
    /// written; then they go into one pack file, as a local add writes them. Returns the chunk count.
    /// </summary>
    public async Task<int> PutPackAsync(string? chunkList, Stream body, long? length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        var listed = ParsePackList(chunkList);
        var total = listed.Sum(c => c.Size);
        if (total > _options.MaxPackBytes)
        {
            throw KeelException.Invalid($"The pack's chunks add up to {total} bytes; a pack holds at most {_options.MaxPackBytes / (1024 * 1024)} MiB.");
        }

        if (length is { } announced && announced != total)
        {
            throw KeelException.Invalid($"The body is {announced} bytes long, but the chunks listed in '{PackHeader}' add up to {total}.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)total + 1);
        try
        {
            var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, (int)total + 1), (int)total + 1, throwOnEndOfStream: false, ct);
            if (read != total)
            {
                throw KeelException.Invalid(read < total
                    ? $"The body ended after {read} of the {total} bytes the chunks listed in '{PackHeader}' add up to; nothing was stored."
                    : $"The body is longer than the {total} bytes the chunks listed in '{PackHeader}' add up to; nothing was stored.");
            }

            var chunks = new ChunkBytes[listed.Count];
            var offset = 0;
            for (var i = 0; i < listed.Count; i++)
            {
                chunks[i] = new ChunkBytes(listed[i].Hash, buffer.AsMemory(offset, (int)listed[i].Size));
                offset += (int)listed[i].Size;
            }

            var actual = new string[chunks.Length];
            Parallel.For(0, chunks.Length, new ParallelOptions { CancellationToken = ct }, i => actual[i] = ChunkHash.Compute(chunks[i].Bytes.Span));
            for (var i = 0; i < chunks.Length; i++)
            {
                if (!string.Equals(actual[i], chunks[i].Hash, StringComparison.Ordinal))
                {
                    throw KeelException.Invalid($"Chunk hash mismatch: chunk {i} of the pack hashes to {actual[i]}, not {chunks[i].Hash}; nothing was stored.");
                }
            }

            await StorePackAsync(chunks, ct);
            return chunks.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The header of a pack upload that lists its chunks.</summary>
    public const string PackHeader = "X-Keel-Pack";

    private List<ChunkInfo> ParsePackList(string? chunkList)
    {
        if (string.IsNullOrWhiteSpace(chunkList))
        {
            throw KeelException.Invalid($"'{PackHeader}' is required: the pack's chunks in order, as hash:size,hash:size,…");
        }

        var parts = chunkList.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > _options.MaxChunksPerPack)
        {
            throw KeelException.Invalid($"'{PackHeader}' lists {parts.Length} chunks; a pack holds at most {_options.MaxChunksPerPack}.");
        }

        var list = new List<ChunkInfo>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].IndexOf(':', StringComparison.Ordinal);
            var hash = colon < 0 ? parts[i] : parts[i][..colon];
            if (!DatasetManifest.IsChunkHash(hash))
            {
                throw KeelException.Invalid($"'{PackHeader}' entry {i} ('{parts[i]}') does not start with a SHA-256 in lowercase hex (64 characters).");
            }

            if (colon < 0 || !int.TryParse(parts[i].AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
                || size < 1 || size > _options.MaxChunkBytes)
            {
                throw KeelException.Invalid($"'{PackHeader}' entry {i} ('{parts[i]}') needs a size after the hash: hash:size, 1 to {_options.MaxChunkBytes} bytes.");
            }

            list.Add(new ChunkInfo(hash, size));
        }

        return list;
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
        return new GcReport(deleted, bytes, kept, dryRun, packsDeleted, packsRewritten);
    }

    /// <summary>
    /// Packs older than the cut-off that hold bytes no chunk uses (freed chunks, or a second copy of
    /// a chunk stored twice by adds running at once): one with no chunk left is deleted, the others
    /// rewritten with only their live chunks, each verified against its hash on the way (a pack
    /// holding a corrupted chunk is left as it is, for `get` to report).
    /// </summary>
    private async Task<(int Deleted, int Rewritten)> CollectPacksAsync(long cutoff, CancellationToken ct)
    {
        var (deleted, rewritten) = (0, 0);
        foreach (var pack in await store.FindSparsePacksAsync(cutoff, ct))
        {
            var live = await store.ListPackAsync(pack.Id, ct);
            if (live.Count > 0 && !await RewritePackAsync(pack.Id, live, ct))
            {
                continue;
            }

            if (await store.ForgetPackAsync(pack.Id, ct))
            {
                await artifacts.DeleteAsync(PackPath(pack.Id), ct);
                (deleted, rewritten) = live.Count == 0 ? (deleted + 1, rewritten) : (deleted, rewritten + 1);
            }
        }

        return (deleted, rewritten);
    }

    /// <summary>Copies a pack's live chunks into a new pack and points them there; false when one of them did not verify.</summary>
    private async Task<bool> RewritePackAsync(string pack, IReadOnlyList<StoredChunk> live, CancellationToken ct)
    {
        var total = live.Sum(c => c.Size);
        var buffer = ArrayPool<byte>.Shared.Rent((int)total);
        try
        {
            var id = NewPackId();
            var moved = new StoredChunk[live.Count];
            var offset = 0;
            for (var i = 0; i < live.Count; i++)
            {
                var chunk = live[i];
                var target = buffer.AsMemory(offset, (int)chunk.Size);
                await using (var stream = await artifacts.OpenReadAsync(PackPath(pack), chunk.Offset, chunk.Size, ct))
                {
                    if (stream is null || await stream.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, ct) != target.Length
                        || !string.Equals(ChunkHash.Compute(target.Span), chunk.Hash, StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                moved[i] = chunk with { Pack = id, Offset = offset };
                offset += target.Length;
            }

            await store.RegisterPackAsync(id, total, Now, ct);
            await using (var content = new SegmentStream([buffer.AsMemory(0, offset)]))
            {
                await artifacts.WriteAsync(PackPath(id), content, ct);
            }

            await store.MoveChunksAsync(pack, moved, ct);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string NewPackId() => Guid.CreateVersion7(clock.GetUtcNow()).ToString("N");

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

/// <summary>A chunk's hash and bytes, as an add hands them to the store.</summary>
public readonly record struct ChunkBytes(string Hash, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// A read-only stream over pieces of memory the caller owns, one after the other (no copy:
/// <see cref="CopyToAsync(Stream, int, CancellationToken)"/> writes each piece straight to the destination).
/// </summary>
internal sealed class SegmentStream(IReadOnlyList<ReadOnlyMemory<byte>> segments) : Stream
{
    private int _segment;
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => segments.Sum(s => (long)s.Length);

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _segment < segments.Count)
        {
            var rest = segments[_segment].Span[_position..];
            var n = Math.Min(buffer.Length, rest.Length);
            rest[..n].CopyTo(buffer);
            buffer = buffer[n..];
            total += n;
            _position += n;
            if (_position == segments[_segment].Length)
            {
                (_segment, _position) = (_segment + 1, 0);
            }
        }

        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        for (; _segment < segments.Count; (_segment, _position) = (_segment + 1, 0))
        {
            await destination.WriteAsync(segments[_segment][_position..], cancellationToken);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
