using System.Data.Common;
using Keel.Core.Datasets;
using Keel.Core.Errors;

namespace Keel.Storage.Sql.Datasets;

/// <summary>
/// <see cref="IDatasetStore"/> over SQL, on the tracking store's executor (one database, one
/// writer for SQLite). Liveness for garbage collection is a query: a chunk is live while a version
/// that is not deleted — or that a run's inputs name (MLflow's `datasets.digest` = version id) —
/// references it, or while it was claimed after the collection's cut-off.
/// </summary>
internal sealed class SqlDatasetStore(SqlExecutor executor) : IDatasetStore
{
    private const int ListChunk = 500;
    private const string VersionColumns =
        "dataset, id, number, message, author, creation_time, size_bytes, file_count, row_count, schema_json, deleted";

    // Versions that keep their chunks: not deleted, or named by a run's inputs.
    private const string LiveVersion =
        "(v.deleted = 0 OR EXISTS (SELECT 1 FROM datasets d JOIN inputs i ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid WHERE d.digest = v.id))";

    public Task<IReadOnlyList<string>> ClaimChunksAsync(IReadOnlyList<string> hashes, long now, CancellationToken ct) =>
        executor.WriteAsync<IReadOnlyList<string>>(async (c, tx) =>
        {
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in hashes.Chunk(ListChunk))
            {
                present.UnionWith(await ClaimAsync(c, tx, part, now, ct));
            }

            return [.. hashes.Where(h => !present.Contains(h))];
        }, ct);

    public Task AddChunkAsync(ChunkInfo chunk, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "INSERT INTO dataset_chunks (hash, size, claimed_time) VALUES (@h, @s, @now) ON CONFLICT (hash) DO UPDATE SET claimed_time = excluded.claimed_time", tx)
                .With("@h", chunk.Hash).With("@s", chunk.Size).With("@now", now);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task RegisterPackAsync(string pack, long size, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("INSERT INTO dataset_packs (id, size, created_time) VALUES (@p, @s, @now)", tx)
                .With("@p", pack).With("@s", size).With("@now", now);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task AddPackedChunksAsync(IReadOnlyList<StoredChunk> chunks, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                """
                INSERT INTO dataset_chunks (hash, size, claimed_time, pack, pack_offset) VALUES (@h, @s, @now, @p, @o)
                ON CONFLICT (hash) DO UPDATE SET claimed_time = excluded.claimed_time
                """, tx).With("@now", now);
            var hash = command.Add("@h", string.Empty);
            var size = command.Add("@s", 0L);
            var pack = command.Add("@p", string.Empty);
            var offset = command.Add("@o", 0L);
            foreach (var chunk in chunks)
            {
                hash.Value = chunk.Hash;
                size.Value = chunk.Size;
                pack.Value = chunk.Pack ?? throw new ArgumentException($"Chunk {chunk.Hash} names no pack.", nameof(chunks));
                offset.Value = chunk.Offset;
                await command.ExecuteNonQueryAsync(ct);
            }

            return chunks.Count;
        }, ct);

    public Task<StoredChunk?> FindChunkAsync(string hash, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command("SELECT hash, size, pack, pack_offset FROM dataset_chunks WHERE hash = @h").With("@h", hash);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? ReadStoredChunk(reader) : null;
        }, ct);

    public Task<IReadOnlyList<PackUsage>> FindSparsePacksAsync(long createdBefore, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<PackUsage>>(async c =>
        {
            await using var command = c.Command(
                """
                SELECT id, size, live FROM (
                    SELECT p.id, p.size, COALESCE((SELECT SUM(k.size) FROM dataset_chunks k WHERE k.pack = p.id), 0) AS live
                    FROM dataset_packs p WHERE p.created_time < @cutoff) u
                WHERE live < size ORDER BY id
                """).With("@cutoff", createdBefore);
            var list = new List<PackUsage>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(new PackUsage(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
            }

            return list;
        }, ct);

    public Task<IReadOnlyList<StoredChunk>> ListPackAsync(string pack, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<StoredChunk>>(async c =>
        {
            await using var command = c.Command(
                "SELECT hash, size, pack, pack_offset FROM dataset_chunks WHERE pack = @p ORDER BY pack_offset").With("@p", pack);
            return await ReadStoredChunksAsync(command, ct);
        }, ct);

    public Task<int> MoveChunksAsync(string from, IReadOnlyList<StoredChunk> moved, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "UPDATE dataset_chunks SET pack = @to, pack_offset = @o WHERE hash = @h AND pack = @from", tx).With("@from", from);
            var hash = command.Add("@h", string.Empty);
            var to = command.Add("@to", string.Empty);
            var offset = command.Add("@o", 0L);
            var count = 0;
            foreach (var chunk in moved)
            {
                hash.Value = chunk.Hash;
                to.Value = chunk.Pack ?? throw new ArgumentException($"Chunk {chunk.Hash} names no pack.", nameof(moved));
                offset.Value = chunk.Offset;
                count += await command.ExecuteNonQueryAsync(ct);
            }

            return count;
        }, ct);

    public Task<bool> ForgetPackAsync(string pack, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "DELETE FROM dataset_packs WHERE id = @p AND NOT EXISTS (SELECT 1 FROM dataset_chunks WHERE pack = @p)", tx).With("@p", pack);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<DatasetVersionResult> CreateVersionAsync(DatasetVersion version, IReadOnlyCollection<string> chunks, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            // Claiming the chunks updates (and so locks) their rows: a collection deleting one of
            // them either went first (the chunk is then missing here) or waits for this
            // transaction and then sees a fresh claim — never a version pointing at nothing.
            var missing = new List<string>();
            foreach (var part in chunks.Chunk(ListChunk))
            {
                var present = await ClaimAsync(c, tx, part, version.CreationTime, ct);
                missing.AddRange(part.Where(h => !present.Contains(h)));
            }

            if (missing.Count > 0)
            {
                return new DatasetVersionResult(null, false, missing);
            }

            await using (var dataset = c.Command(
                "INSERT INTO versioned_datasets (name, description, creation_time, last_updated_time) VALUES (@n, NULL, @t, @t) ON CONFLICT (name) DO NOTHING", tx)
                .With("@n", version.Dataset).With("@t", version.CreationTime))
            {
                await dataset.ExecuteNonQueryAsync(ct);
            }

            await using (var existing = c.Command($"SELECT {VersionColumns} FROM dataset_versions WHERE dataset = @n AND id = @id", tx)
                .With("@n", version.Dataset).With("@id", version.Id))
            {
                if ((await ReadVersionsAsync(existing, ct)).FirstOrDefault() is { } found)
                {
                    if (!found.Deleted)
                    {
                        return new DatasetVersionResult(found, false, []);
                    }

                    await using var restore = c.Command("UPDATE dataset_versions SET deleted = 0 WHERE dataset = @n AND id = @id", tx)
                        .With("@n", version.Dataset).With("@id", version.Id);
                    await restore.ExecuteNonQueryAsync(ct);
                    await TouchAsync(c, tx, version.Dataset, version.CreationTime, ct);
                    return new DatasetVersionResult(found with { Deleted = false }, true, []);
                }
            }

            long number;
            await using (var max = c.Command("SELECT COALESCE(MAX(number), 0) + 1 FROM dataset_versions WHERE dataset = @n", tx).With("@n", version.Dataset))
            {
                number = Convert.ToInt64(await max.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            }

            var stored = version with { Number = (int)number, Deleted = false };
            await using (var insert = c.Command(
                $"INSERT INTO dataset_versions ({VersionColumns}) VALUES (@n, @id, @num, @m, @a, @t, @size, @files, @rows, @schema, 0)", tx)
                .With("@n", stored.Dataset).With("@id", stored.Id).With("@num", stored.Number).With("@m", stored.Message)
                .With("@a", stored.Author).With("@t", stored.CreationTime).With("@size", stored.SizeBytes).With("@files", stored.FileCount)
                .With("@rows", stored.RowCount).With("@schema", stored.Schema))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }

            foreach (var part in chunks.Chunk(ListChunk))
            {
                await using var refs = c.Command(string.Empty, tx).With("@n", stored.Dataset).With("@id", stored.Id);
                var values = new List<string>();
                for (var i = 0; i < part.Length; i++)
                {
                    refs.Add($"@h{i}", part[i]);
                    values.Add($"(@n, @id, @h{i})");
                }

                refs.CommandText = $"INSERT INTO dataset_version_chunks (dataset, version_id, hash) VALUES {string.Join(", ", values)} ON CONFLICT DO NOTHING";
                await refs.ExecuteNonQueryAsync(ct);
            }

            await TouchAsync(c, tx, stored.Dataset, stored.CreationTime, ct);
            return new DatasetVersionResult(stored, true, []);
        }, ct);

    public Task<VersionedDataset?> GetDatasetAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(DatasetQuery("WHERE s.name = @n")).With("@n", name);
            return (await ReadDatasetsAsync(command, ct)).FirstOrDefault();
        }, ct);

    public Task<IReadOnlyList<VersionedDataset>> ListDatasetsAsync(string? nameContains, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(DatasetQuery(nameContains is null ? "" : "WHERE s.name LIKE @like ESCAPE '\\'") + " ORDER BY s.name");
            if (nameContains is not null)
            {
                command.Add("@like", "%" + nameContains.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
            }

            return await ReadDatasetsAsync(command, ct);
        }, ct);

    public Task<IReadOnlyList<DatasetVersion>> ListVersionsAsync(string name, bool includeDeleted, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(
                $"SELECT {VersionColumns} FROM dataset_versions WHERE dataset = @n{(includeDeleted ? "" : " AND deleted = 0")} ORDER BY number DESC").With("@n", name);
            return await ReadVersionsAsync(command, ct);
        }, ct);

    public Task<DatasetVersion?> FindVersionAsync(string name, string reference, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            if (int.TryParse(reference, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && reference.Length < 10)
            {
                await using var byNumber = c.Command($"SELECT {VersionColumns} FROM dataset_versions WHERE dataset = @n AND number = @num").With("@n", name).With("@num", number);
                if ((await ReadVersionsAsync(byNumber, ct)).FirstOrDefault() is { } numbered)
                {
                    return numbered;
                }

                // Not a version number: digits only can still begin an id ("89818899…").
            }

            if (reference.Length < 4 || !reference.All(ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return null;
            }

            await using var command = c.Command($"SELECT {VersionColumns} FROM dataset_versions WHERE dataset = @n AND id LIKE @prefix ORDER BY number")
                .With("@n", name).With("@prefix", reference + "%");
            var found = await ReadVersionsAsync(command, ct);
            return found.Count switch
            {
                0 => null,
                1 => found[0],
                _ => throw KeelException.Invalid(
                    $"Version '{reference}' of dataset '{name}' is ambiguous: it starts {string.Join(", ", found.Select(v => $"{v.Id} (#{v.Number})"))}; give more characters."),
            };
        }, ct);

    public Task<bool> DeleteVersionAsync(string name, string id, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("UPDATE dataset_versions SET deleted = 1 WHERE dataset = @n AND id = @id", tx).With("@n", name).With("@id", id);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<bool> SetTableInfoAsync(string name, string id, long? rowCount, string? schema, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("UPDATE dataset_versions SET row_count = @r, schema_json = @s WHERE dataset = @n AND id = @id", tx)
                .With("@n", name).With("@id", id).With("@r", rowCount).With("@s", schema);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<bool> DeleteDatasetAsync(string name, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var versions = c.Command("UPDATE dataset_versions SET deleted = 1 WHERE dataset = @n", tx).With("@n", name))
            {
                await versions.ExecuteNonQueryAsync(ct);
            }

            await using var dataset = c.Command("DELETE FROM versioned_datasets WHERE name = @n", tx).With("@n", name);
            return await dataset.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<IReadOnlyList<StoredChunk>> FindGarbageAsync(long claimedBefore, int limit, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<StoredChunk>>(async c =>
        {
            await using var command = c.Command(
                $"""
                SELECT k.hash, k.size, k.pack, k.pack_offset FROM dataset_chunks k
                WHERE k.claimed_time < @cutoff AND NOT EXISTS (
                    SELECT 1 FROM dataset_version_chunks r JOIN dataset_versions v ON v.dataset = r.dataset AND v.id = r.version_id
                    WHERE r.hash = k.hash AND {LiveVersion})
                ORDER BY k.hash LIMIT @limit
                """).With("@cutoff", claimedBefore).With("@limit", limit);
            return await ReadStoredChunksAsync(command, ct);
        }, ct);

    public Task<bool> ForgetChunkAsync(string hash, long claimedBefore, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                $"""
                DELETE FROM dataset_chunks WHERE hash = @h AND claimed_time < @cutoff AND NOT EXISTS (
                    SELECT 1 FROM dataset_version_chunks r JOIN dataset_versions v ON v.dataset = r.dataset AND v.id = r.version_id
                    WHERE r.hash = @h AND {LiveVersion})
                """, tx).With("@h", hash).With("@cutoff", claimedBefore);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<IReadOnlyList<string>> FindRunsUsingAsync(string versionId, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<string>>(async c =>
        {
            await using var command = c.Command(
                """
                SELECT DISTINCT i.destination_id, r.start_time FROM datasets d
                JOIN inputs i ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid AND i.destination_type = 'RUN'
                JOIN runs r ON r.run_uuid = i.destination_id
                WHERE d.digest = @id ORDER BY r.start_time, i.destination_id
                """).With("@id", versionId);
            return await command.ReadStringsAsync(ct);
        }, ct);

    private static StoredChunk ReadStoredChunk(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetInt64(1), reader.NullableString(2), reader.NullableInt64(3) ?? 0);

    private static async Task<IReadOnlyList<StoredChunk>> ReadStoredChunksAsync(DbCommand command, CancellationToken ct)
    {
        var list = new List<StoredChunk>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(ReadStoredChunk(reader));
        }

        return list;
    }

    /// <summary>Marks the hashes claimed at <paramref name="now"/> and returns those the store holds.</summary>
    private static async Task<HashSet<string>> ClaimAsync(DbConnection c, DbTransaction tx, string[] hashes, long now, CancellationToken ct)
    {
        await using (var update = c.Command(string.Empty, tx).With("@now", now))
        {
            update.CommandText = $"UPDATE dataset_chunks SET claimed_time = @now WHERE hash IN ({update.AddList("h", hashes)})";
            await update.ExecuteNonQueryAsync(ct);
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        await using var select = c.Command(string.Empty, tx);
        select.CommandText = $"SELECT hash FROM dataset_chunks WHERE hash IN ({select.AddList("h", hashes)})";
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            present.Add(reader.GetString(0));
        }

        return present;
    }

    private static string DatasetQuery(string where) =>
        $"""
        SELECT s.name, s.description, s.creation_time, s.last_updated_time,
            (SELECT COUNT(*) FROM dataset_versions v WHERE v.dataset = s.name AND v.deleted = 0),
            (SELECT v.id FROM dataset_versions v WHERE v.dataset = s.name AND v.deleted = 0 ORDER BY v.number DESC LIMIT 1)
        FROM versioned_datasets s {where}
        """;

    private static async Task TouchAsync(DbConnection c, DbTransaction tx, string name, long time, CancellationToken ct)
    {
        await using var touch = c.Command("UPDATE versioned_datasets SET last_updated_time = @t WHERE name = @n", tx).With("@n", name).With("@t", time);
        await touch.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<VersionedDataset>> ReadDatasetsAsync(DbCommand command, CancellationToken ct)
    {
        var list = new List<VersionedDataset>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new VersionedDataset(reader.GetString(0), reader.NullableString(1), reader.GetInt64(2), reader.GetInt64(3),
                (int)reader.GetInt64(4), reader.NullableString(5)));
        }

        return list;
    }

    private static async Task<IReadOnlyList<DatasetVersion>> ReadVersionsAsync(DbCommand command, CancellationToken ct)
    {
        var list = new List<DatasetVersion>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new DatasetVersion(
                reader.GetString(0), reader.GetString(1), (int)reader.GetInt64(2), reader.NullableString(3), reader.NullableString(4),
                reader.GetInt64(5), reader.GetInt64(6), (int)reader.GetInt64(7), reader.NullableInt64(8), reader.NullableString(9),
                reader.GetInt64(10) != 0));
        }

        return list;
    }
}
