using Keel.Core.Registry;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql.Registry;

internal sealed partial class SqlRegistryStore
{
    public Task<ModelVersion?> CreateModelVersionAsync(NewModelVersion v, CancellationToken ct) =>
        executor.WriteAsync<ModelVersion?>(async (c, tx) =>
        {
            // Touching the model row first serialises concurrent creations on one model: on
            // PostgreSQL the UPDATE holds the row lock until commit, so the MAX below sees every
            // version committed before it (SQLite has one writer anyway). No gaps, no duplicates.
            if (await ExecuteAsync(c, tx, "UPDATE registered_models SET last_updated_time = @now WHERE name = @n", ct,
                ("@now", v.Now), ("@n", v.Name)) == 0)
            {
                return null;
            }

            var number = Convert.ToInt64(
                await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = @n", ct, ("@n", v.Name)),
                System.Globalization.CultureInfo.InvariantCulture);
            await ExecuteAsync(c, tx,
                """
                INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage,
                                            source, storage_location, run_id, run_link, status, status_message)
                VALUES (@n, @v, @now, @now, @d, @u, @stage, @src, @loc, @run, @link, 'READY', NULL)
                """,
                ct,
                ("@n", v.Name), ("@v", number), ("@now", v.Now), ("@d", v.Description), ("@u", v.UserId), ("@stage", ModelStages.None),
                ("@src", v.Source), ("@loc", v.StorageLocation), ("@run", v.RunId), ("@link", v.RunLink));
            foreach (var tag in v.Tags)
            {
                await UpsertTagAsync(c, tx, "model_version_tags", "name", v.Name, number, tag, ct);
            }

            return new ModelVersion(v.Name, number, v.Now, v.Now, v.Description, v.UserId, ModelStages.None, v.Source, v.RunId, "READY", null,
                [.. v.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)], v.RunLink, []);
        }, ct);

    public Task<ModelVersion?> GetModelVersionAsync(string name, long version, CancellationToken ct) =>
        executor.ReadAsync(async c => (await LoadVersionsAsync(c, null, [(name, version)], ct)).FirstOrDefault(), ct);

    public Task<string?> GetDownloadUriAsync(string name, long version, CancellationToken ct) =>
        executor.ReadAsync(async c => await ScalarAsync(c, null,
            $"SELECT COALESCE(storage_location, source) FROM model_versions WHERE name = @n AND version = @v AND current_stage <> '{Deleted}'",
            ct, ("@n", name), ("@v", version)) as string, ct);

    public Task<bool> UpdateModelVersionAsync(string name, long version, string? description, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx,
            $"UPDATE model_versions SET description = @d, last_updated_time = @now WHERE name = @n AND version = @v AND current_stage <> '{Deleted}'",
            ct, ("@d", description), ("@now", now), ("@n", name), ("@v", version)) > 0, ct);

    public Task<bool> DeleteModelVersionAsync(string name, long version, long now, string? userId, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (await StageOfAsync(c, tx, name, version, ct) is null)
            {
                return false;
            }

            await ExecuteAsync(c, tx, "UPDATE registered_models SET last_updated_time = @now WHERE name = @n", ct, ("@now", now), ("@n", name));
            var aliases = new List<string>();
            await using (var command = c.Command("SELECT alias FROM registered_model_aliases WHERE name = @n AND version = @v ORDER BY alias", tx)
                .With("@n", name).With("@v", version))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    aliases.Add(reader.GetString(0));
                }
            }

            foreach (var alias in aliases)
            {
                await RecordAsync(c, tx, new RegistryChange(name, RegistryChangeKind.Alias, alias, version, null, null, now, userId), ct);
            }

            await ExecuteAsync(c, tx, "DELETE FROM registered_model_aliases WHERE name = @n AND version = @v", ct, ("@n", name), ("@v", version));
            // MLflow keeps the row (numbers are never reused) but redacts what pointed at the files.
            await ExecuteAsync(c, tx,
                $"""
                UPDATE model_versions SET current_stage = '{Deleted}', last_updated_time = @now, description = NULL, user_id = NULL,
                    source = 'REDACTED-SOURCE-PATH', storage_location = NULL, run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK',
                    status_message = NULL
                WHERE name = @n AND version = @v
                """,
                ct, ("@now", now), ("@n", name), ("@v", version));
            return true;
        }, ct);

    public Task<ModelVersion?> TransitionStageAsync(
        string name, long version, string stage, bool archiveExisting, long now, string? userId, CancellationToken ct) =>
        executor.WriteAsync<ModelVersion?>(async (c, tx) =>
        {
            if (await StageOfAsync(c, tx, name, version, ct) is null)
            {
                return null;
            }

            // Lock the model row (PostgreSQL) so concurrent transitions of one model apply one after another.
            await ExecuteAsync(c, tx, "UPDATE registered_models SET last_updated_time = @now WHERE name = @n", ct, ("@now", now), ("@n", name));
            var previousStage = await StageOfAsync(c, tx, name, version, ct);
            if (previousStage is null)
            {
                return null;
            }

            var before = await ScalarAsync(c, tx,
                "SELECT MAX(version) FROM model_versions WHERE name = @n AND current_stage = @s", ct, ("@n", name), ("@s", stage)) is { } b
                ? Convert.ToInt64(b, System.Globalization.CultureInfo.InvariantCulture)
                : (long?)null;
            if (archiveExisting)
            {
                var others = new List<long>();
                await using (var command = c.Command("SELECT version FROM model_versions WHERE name = @n AND current_stage = @s AND version <> @v ORDER BY version", tx)
                    .With("@n", name).With("@s", stage).With("@v", version))
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        others.Add(reader.GetInt64(0));
                    }
                }

                foreach (var other in others)
                {
                    await RecordAsync(c, tx, new RegistryChange(name, RegistryChangeKind.Stage, ModelStages.Archived, null, other, stage, now, userId), ct);
                }

                await ExecuteAsync(c, tx,
                    "UPDATE model_versions SET current_stage = @archived, last_updated_time = @now WHERE name = @n AND current_stage = @s AND version <> @v",
                    ct, ("@archived", ModelStages.Archived), ("@now", now), ("@n", name), ("@s", stage), ("@v", version));
            }

            await ExecuteAsync(c, tx, "UPDATE model_versions SET current_stage = @s, last_updated_time = @now WHERE name = @n AND version = @v", ct,
                ("@s", stage), ("@now", now), ("@n", name), ("@v", version));
            await RecordAsync(c, tx, new RegistryChange(name, RegistryChangeKind.Stage, stage, before, version, previousStage, now, userId), ct);
            return (await LoadVersionsAsync(c, tx, [(name, version)], ct)).FirstOrDefault();
        }, ct);

    public Task<bool> SetModelVersionTagAsync(string name, long version, KeyValue tag, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (await StageOfAsync(c, tx, name, version, ct) is null)
            {
                return false;
            }

            await UpsertTagAsync(c, tx, "model_version_tags", "name", name, version, tag, ct);
            return true;
        }, ct);

    public Task<bool> DeleteModelVersionTagAsync(string name, long version, string key, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            if (await StageOfAsync(c, tx, name, version, ct) is null)
            {
                return false;
            }

            await ExecuteAsync(c, tx, "DELETE FROM model_version_tags WHERE name = @n AND version = @v AND key = @k", ct,
                ("@n", name), ("@v", version), ("@k", key));
            return true;
        }, ct);
}
