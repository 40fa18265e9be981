using System.Data.Common;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

internal sealed partial class SqlTrackingStore
{
    private const string ExperimentColumns =
        "e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time";

    public Task<long> CreateExperimentAsync(NewExperiment experiment, Func<long, string> defaultArtifactLocation, CancellationToken ct) =>
        Dialect.UniqueAsync(() => executor.WriteAsync(async (c, tx) =>
        {
            long id;
            await using (var insert = c.Command(
                """
                INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                VALUES (@name, @location, 'active', @now, @now) RETURNING experiment_id
                """, tx))
            {
                insert.Add("@name", experiment.Name);
                insert.Add("@location", experiment.ArtifactLocation ?? string.Empty);
                insert.Add("@now", experiment.Time);
                id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            }

            if (experiment.ArtifactLocation is null)
            {
                await using var update = c.Command("UPDATE experiments SET artifact_location = @location WHERE experiment_id = @id", tx)
                    .With("@location", defaultArtifactLocation(id)).With("@id", id);
                await update.ExecuteNonQueryAsync(ct);
            }

            foreach (var tag in experiment.Tags)
            {
                await UpsertExperimentTagAsync(c, tx, id, tag, ct);
            }

            return id;
        }, ct), () => new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Experiment '{experiment.Name}' already exists."));

    public Task<Experiment?> GetExperimentAsync(long experimentId, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            var list = await ReadExperimentsAsync(c, $"SELECT {ExperimentColumns} FROM experiments e WHERE e.experiment_id = @id",
                cmd => cmd.Add("@id", experimentId), ct);
            return list.Count == 0 ? null : list[0];
        }, ct);

    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            var list = await ReadExperimentsAsync(c, $"SELECT {ExperimentColumns} FROM experiments e WHERE e.name = @name",
                cmd => cmd.Add("@name", name), ct);
            return list.Count == 0 ? null : list[0];
        }, ct);

    public Task RenameExperimentAsync(long experimentId, string newName, long now, CancellationToken ct) =>
        Dialect.UniqueAsync(() => executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "UPDATE experiments SET name = @name, last_update_time = @now WHERE experiment_id = @id", tx)
                .With("@name", newName).With("@now", now).With("@id", experimentId);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct), () => new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Experiment '{newName}' already exists."));

    public Task SetExperimentLifecycleAsync(long experimentId, string stage, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var experiment = c.Command(
                "UPDATE experiments SET lifecycle_stage = @stage, last_update_time = @now WHERE experiment_id = @id", tx))
            {
                experiment.Add("@stage", stage);
                experiment.Add("@now", now);
                experiment.Add("@id", experimentId);
                await experiment.ExecuteNonQueryAsync(ct);
            }

            // MLflow deletes and restores every run of the experiment with it (reference §6.1).
            await using var runs = c.Command(
                "UPDATE runs SET lifecycle_stage = @stage, deleted_time = @deleted WHERE experiment_id = @id", tx)
                .With("@stage", stage)
                .With("@deleted", stage == LifecycleStage.Deleted ? now : null)
                .With("@id", experimentId);
            return await runs.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task SetExperimentTagAsync(long experimentId, KeyValue tag, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await UpsertExperimentTagAsync(c, tx, experimentId, tag, ct);
            return 0;
        }, ct);

    public Task<bool> DeleteExperimentTagAsync(long experimentId, string key, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("DELETE FROM experiment_tags WHERE experiment_id = @id AND key = @key", tx)
                .With("@id", experimentId).With("@key", key);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    private static async Task UpsertExperimentTagAsync(DbConnection c, DbTransaction tx, long experimentId, KeyValue tag, CancellationToken ct)
    {
        await using var command = c.Command(
            """
            INSERT INTO experiment_tags (experiment_id, key, value) VALUES (@id, @key, @value)
            ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value
            """, tx)
            .With("@id", experimentId).With("@key", tag.Key).With("@value", tag.Value);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<Experiment>> ReadExperimentsAsync(
        DbConnection c, string sql, Action<DbCommand> bind, CancellationToken ct)
    {
        var rows = new List<(long Id, string Name, string Location, string Stage, long Created, long Updated)>();
        await using (var command = c.Command(sql))
        {
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }

        if (rows.Count == 0)
        {
            return [];
        }

        var tags = new Dictionary<long, List<KeyValue>>();
        await using (var command = c.Command(string.Empty))
        {
            command.CommandText = $"SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN ({command.AddList("e", rows.Select(r => r.Id))}) ORDER BY key";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetInt64(0);
                if (!tags.TryGetValue(id, out var list))
                {
                    tags[id] = list = [];
                }

                list.Add(new KeyValue(reader.GetString(1), reader.GetString(2)));
            }
        }

        return rows.Select(r => new Experiment(r.Id, r.Name, r.Location, r.Stage, r.Created, r.Updated,
            tags.TryGetValue(r.Id, out var t) ? t : [])).ToList();
    }
}
