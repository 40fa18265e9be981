using System.Data.Common;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql.Registry;

/// <summary>
/// <see cref="IRegistryStore"/> over SQL. It shares the tracking store's executor (one database,
/// one SQLite writer) and its migrations; it owns neither, so disposing it is not needed.
/// </summary>
internal sealed partial class SqlRegistryStore(SqlExecutor executor) : IRegistryStore
{
    private const string Deleted = ModelStages.DeletedInternal;

    private SqlDialect Dialect => executor.Dialect;

    public Task<RegisteredModel> CreateRegisteredModelAsync(
        string name, string? description, IReadOnlyList<KeyValue> tags, long now, CancellationToken ct) =>
        Dialect.UniqueAsync(() => executor.WriteAsync(async (c, tx) =>
        {
            await using (var insert = c.Command(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (@n, @now, @now, @d)", tx)
                .With("@n", name).With("@now", now).With("@d", description))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }

            foreach (var tag in tags)
            {
                await UpsertTagAsync(c, tx, "registered_model_tags", "name", name, null, tag, ct);
            }

            return new RegisteredModel(name, now, now, description, [], [.. tags.OrderBy(t => t.Key, StringComparer.Ordinal)], []);
        }, ct), () => new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Registered Model (name={name}) already exists."));

    public Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c => (await LoadModelsAsync(c, null, [name], ct)).FirstOrDefault(), ct);

    public Task<bool> RenameRegisteredModelAsync(string name, string newName, long now, CancellationToken ct) =>
        Dialect.UniqueAsync(() => executor.WriteAsync(async (c, tx) =>
        {
            if (await ExecuteAsync(c, tx, "UPDATE registered_models SET name = @new, last_updated_time = @now WHERE name = @n", ct,
                ("@new", newName), ("@now", now), ("@n", name)) == 0)
            {
                return false;
            }

            foreach (var table in new[] { "registered_model_tags", "model_versions", "model_version_tags", "registered_model_aliases", "registry_history" })
            {
                await ExecuteAsync(c, tx, $"UPDATE {table} SET name = @new WHERE name = @n", ct, ("@new", newName), ("@n", name));
            }

            return true;
        }, ct), () => new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Registered Model (name={newName}) already exists."));

    public Task<bool> UpdateRegisteredModelAsync(string name, string? description, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx,
            "UPDATE registered_models SET description = @d, last_updated_time = @now WHERE name = @n", ct,
            ("@d", description), ("@now", now), ("@n", name)) > 0, ct);

    public Task<bool> DeleteRegisteredModelAsync(string name, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            foreach (var table in new[] { "registered_model_tags", "model_version_tags", "model_versions", "registered_model_aliases", "registry_history" })
            {
                await ExecuteAsync(c, tx, $"DELETE FROM {table} WHERE name = @n", ct, ("@n", name));
            }

            return await ExecuteAsync(c, tx, "DELETE FROM registered_models WHERE name = @n", ct, ("@n", name)) > 0;
        }, ct);

    public Task<bool> SetRegisteredModelTagAsync(string name, KeyValue tag, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (!await ModelExistsAsync(c, tx, name, ct))
            {
                return false;
            }

            await UpsertTagAsync(c, tx, "registered_model_tags", "name", name, null, tag, ct);
            return true;
        }, ct);

    public Task<bool> DeleteRegisteredModelTagAsync(string name, string key, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (!await ModelExistsAsync(c, tx, name, ct))
            {
                return false;
            }

            await ExecuteAsync(c, tx, "DELETE FROM registered_model_tags WHERE name = @n AND key = @k", ct, ("@n", name), ("@k", key));
            return true;
        }, ct);

    public Task<IReadOnlyList<ModelVersion>?> GetLatestVersionsAsync(string name, IReadOnlyList<string> stages, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<ModelVersion>?>(async c =>
        {
            if (!await ModelExistsAsync(c, null, name, ct))
            {
                return null;
            }

            var latest = await LoadLatestVersionsAsync(c, null, [name], ct);
            return latest.TryGetValue(name, out var versions) ? versions.Where(v => stages.Contains(v.CurrentStage)).ToList() : [];
        }, ct);

    // ---------------------------------------------------------------- aliases and history

    public Task<VersionWrite> SetAliasAsync(string name, string alias, long version, long now, string? userId, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (!await ModelExistsAsync(c, tx, name, ct))
            {
                return VersionWrite.ModelMissing;
            }

            if (await StageOfAsync(c, tx, name, version, ct) is null)
            {
                return VersionWrite.VersionMissing;
            }

            var old = await AliasVersionAsync(c, tx, name, alias, ct);
            if (old == version)
            {
                return VersionWrite.Done;
            }

            await ExecuteAsync(c, tx,
                "INSERT INTO registered_model_aliases (name, alias, version) VALUES (@n, @a, @v) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                ct, ("@n", name), ("@a", alias), ("@v", version));
            await RecordAsync(c, tx, new RegistryChange(name, RegistryChangeKind.Alias, alias, old, version, null, now, userId), ct);
            return VersionWrite.Done;
        }, ct);

    public Task<bool> DeleteAliasAsync(string name, string alias, long now, string? userId, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (!await ModelExistsAsync(c, tx, name, ct))
            {
                return false;
            }

            if (await AliasVersionAsync(c, tx, name, alias, ct) is { } old)
            {
                await ExecuteAsync(c, tx, "DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", ct, ("@n", name), ("@a", alias));
                await RecordAsync(c, tx, new RegistryChange(name, RegistryChangeKind.Alias, alias, old, null, null, now, userId), ct);
            }

            return true;
        }, ct);

    public Task<long?> GetAliasVersionAsync(string name, string alias, CancellationToken ct) =>
        executor.ReadAsync(c => AliasVersionAsync(c, null, name, alias, ct), ct);

    public Task<IReadOnlyList<RegistryChange>?> GetHistoryAsync(string name, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<RegistryChange>?>(async c =>
        {
            if (!await ModelExistsAsync(c, null, name, ct))
            {
                return null;
            }

            await using var command = c.Command(
                "SELECT kind, key, old_version, new_version, previous_stage, timestamp, user_id FROM registry_history WHERE name = @n ORDER BY id")
                .With("@n", name);
            var changes = new List<RegistryChange>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                changes.Add(new RegistryChange(
                    name,
                    reader.GetString(0) == "stage" ? RegistryChangeKind.Stage : RegistryChangeKind.Alias,
                    reader.GetString(1),
                    reader.NullableInt64(2),
                    reader.NullableInt64(3),
                    reader.NullableString(4),
                    reader.GetInt64(5),
                    reader.NullableString(6)));
            }

            return changes;
        }, ct);

    private static Task<int> RecordAsync(DbConnection c, DbTransaction tx, RegistryChange change, CancellationToken ct) =>
        ExecuteAsync(c, tx,
            "INSERT INTO registry_history (name, kind, key, old_version, new_version, previous_stage, timestamp, user_id) VALUES (@n, @kind, @k, @old, @new, @prev, @t, @u)",
            ct,
            ("@n", change.Name), ("@kind", change.Kind == RegistryChangeKind.Stage ? "stage" : "alias"), ("@k", change.Key),
            ("@old", change.OldVersion), ("@new", change.NewVersion), ("@prev", change.PreviousStage), ("@t", change.Timestamp), ("@u", change.UserId));

    // ---------------------------------------------------------------- small shared statements

    private static async Task<int> ExecuteAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = c.Command(sql, tx);
        foreach (var (n, v) in parameters)
        {
            command.Add(n, v);
        }

        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = c.Command(sql, tx);
        foreach (var (n, v) in parameters)
        {
            command.Add(n, v);
        }

        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private static async Task<bool> ModelExistsAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct) =>
        await ScalarAsync(c, tx, "SELECT 1 FROM registered_models WHERE name = @n", ct, ("@n", name)) is not null;

    /// <summary>The stage of a live version; null when the version does not exist or was deleted.</summary>
    private static async Task<string?> StageOfAsync(DbConnection c, DbTransaction? tx, string name, long version, CancellationToken ct) =>
        await ScalarAsync(c, tx, $"SELECT current_stage FROM model_versions WHERE name = @n AND version = @v AND current_stage <> '{Deleted}'", ct,
            ("@n", name), ("@v", version)) as string;

    private static async Task<long?> AliasVersionAsync(DbConnection c, DbTransaction? tx, string name, string alias, CancellationToken ct) =>
        await ScalarAsync(c, tx, "SELECT version FROM registered_model_aliases WHERE name = @n AND alias = @a", ct, ("@n", name), ("@a", alias)) is { } v
            ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static Task<int> UpsertTagAsync(DbConnection c, DbTransaction tx, string table, string owner, string name, long? version, KeyValue tag, CancellationToken ct) =>
        version is null
            ? ExecuteAsync(c, tx,
                $"INSERT INTO {table} ({owner}, key, value) VALUES (@n, @k, @val) ON CONFLICT ({owner}, key) DO UPDATE SET value = excluded.value",
                ct, ("@n", name), ("@k", tag.Key), ("@val", tag.Value))
            : ExecuteAsync(c, tx,
                $"INSERT INTO {table} (name, version, key, value) VALUES (@n, @ver, @k, @val) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                ct, ("@n", name), ("@ver", version.Value), ("@k", tag.Key), ("@val", tag.Value));
}
