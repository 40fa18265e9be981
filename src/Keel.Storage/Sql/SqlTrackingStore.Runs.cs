using System.Data.Common;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

internal sealed partial class SqlTrackingStore
{
    private const string RunColumns =
        "r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage";

    public Task CreateRunAsync(NewRun run, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var insert = c.Command(
                """
                INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, deleted_time, artifact_uri, lifecycle_stage)
                SELECT @id, @name, e.experiment_id, @user, 'RUNNING', @start, NULL, NULL,
                       e.artifact_location || '/' || @id || '/artifacts', 'active'
                FROM experiments e WHERE e.experiment_id = @experiment
                """, tx))
            {
                insert.Add("@id", run.RunId);
                insert.Add("@name", run.RunName);
                insert.Add("@user", run.UserId);
                insert.Add("@start", run.StartTime);
                insert.Add("@experiment", run.ExperimentId);
                if (await insert.ExecuteNonQueryAsync(ct) == 0)
                {
                    throw KeelException.NotFound($"No Experiment with id={run.ExperimentId} exists");
                }
            }

            await UpsertTagsAsync(c, tx, run.RunId, run.Tags, ct);
            return 0;
        }, ct);

    public Task<RunInfo?> GetRunInfoAsync(string runId, CancellationToken ct) =>
        executor.ReadAsync(c => ReadRunInfoAsync(c, null, runId, ct), ct);

    public Task<Run?> GetRunAsync(string runId, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            var info = await ReadRunInfoAsync(c, null, runId, ct);
            return info is null ? null : (await LoadRunsAsync(c, [info], ct))[0];
        }, ct);

    public Task UpdateRunAsync(string runId, RunUpdate update, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var command = c.Command(
                """
                UPDATE runs SET status = COALESCE(@status, status), end_time = COALESCE(@end, end_time), name = COALESCE(@name, name)
                WHERE run_uuid = @id
                """, tx))
            {
                command.Add("@status", update.Status?.ToString());
                command.Add("@end", update.EndTime);
                command.Add("@name", update.RunName);
                command.Add("@id", runId);
                await command.ExecuteNonQueryAsync(ct);
            }

            if (update.RunName is { } name)
            {
                await UpsertTagsAsync(c, tx, runId, [new KeyValue(ReservedTags.RunName, name)], ct);
            }

            return 0;
        }, ct);

    public Task SetRunLifecycleAsync(string runId, string stage, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "UPDATE runs SET lifecycle_stage = @stage, deleted_time = @deleted WHERE run_uuid = @id", tx)
                .With("@stage", stage)
                .With("@deleted", stage == LifecycleStage.Deleted ? now : null)
                .With("@id", runId);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<bool> DeleteRunTagAsync(string runId, string key, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("DELETE FROM tags WHERE run_uuid = @id AND key = @key", tx)
                .With("@id", runId).With("@key", key);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task LogInputsAsync(string runId, long experimentId, IReadOnlyList<DatasetInput> inputs, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            var seen = new HashSet<(string, string)>();
            foreach (var input in inputs)
            {
                var d = input.Dataset;
                if (!seen.Add((d.Name, d.Digest)))
                {
                    continue; // MLflow keeps the first of duplicate (name, digest) pairs.
                }

                await using (var insert = c.Command(
                    """
                    INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
                    VALUES (@uuid, @experiment, @name, @digest, @type, @source, @schema, @profile)
                    ON CONFLICT (experiment_id, name, digest) DO NOTHING
                    """, tx))
                {
                    insert.Add("@uuid", Guid.NewGuid().ToString("N"));
                    insert.Add("@experiment", experimentId);
                    insert.Add("@name", d.Name);
                    insert.Add("@digest", d.Digest);
                    insert.Add("@type", d.SourceType);
                    insert.Add("@source", d.Source);
                    insert.Add("@schema", d.Schema);
                    insert.Add("@profile", d.Profile);
                    await insert.ExecuteNonQueryAsync(ct);
                }

                string datasetId;
                await using (var select = c.Command(
                    "SELECT dataset_uuid FROM datasets WHERE experiment_id = @experiment AND name = @name AND digest = @digest", tx))
                {
                    select.Add("@experiment", experimentId);
                    select.Add("@name", d.Name);
                    select.Add("@digest", d.Digest);
                    datasetId = (string)(await select.ExecuteScalarAsync(ct))!;
                }

                var inputId = Guid.NewGuid().ToString("N");
                await using (var link = c.Command(
                    """
                    INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
                    VALUES (@uuid, 'DATASET', @dataset, 'RUN', @run)
                    ON CONFLICT (source_type, source_id, destination_type, destination_id) DO NOTHING
                    """, tx))
                {
                    link.Add("@uuid", inputId);
                    link.Add("@dataset", datasetId);
                    link.Add("@run", runId);
                    if (await link.ExecuteNonQueryAsync(ct) == 0)
                    {
                        continue; // Input tags are stored only when the link is new (reference §6.2).
                    }
                }

                foreach (var tag in input.Tags)
                {
                    await using var insertTag = c.Command(
                        "INSERT INTO input_tags (input_uuid, name, value) VALUES (@uuid, @name, @value) ON CONFLICT (input_uuid, name) DO UPDATE SET value = excluded.value", tx)
                        .With("@uuid", inputId).With("@name", tag.Key).With("@value", tag.Value);
                    await insertTag.ExecuteNonQueryAsync(ct);
                }
            }

            return 0;
        }, ct);

    private static async Task UpsertTagsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return;
        }

        await using var command = c.Command(
            "INSERT INTO tags (run_uuid, key, value) VALUES (@id, @key, @value) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value", tx);
        command.Add("@id", runId);
        var key = command.Add("@key", null);
        var value = command.Add("@value", null);
        string? runName = null;
        foreach (var tag in tags)
        {
            key.Value = tag.Key;
            value.Value = tag.Value;
            await command.ExecuteNonQueryAsync(ct);
            if (tag.Key == ReservedTags.RunName)
            {
                runName = tag.Value;
            }
        }

        if (runName is not null)
        {
            // The mlflow.runName tag and the run_name attribute are one value (reference §6.2).
            await using var rename = c.Command("UPDATE runs SET name = @name WHERE run_uuid = @id", tx)
                .With("@name", runName).With("@id", runId);
            await rename.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<RunInfo?> ReadRunInfoAsync(DbConnection c, DbTransaction? tx, string runId, CancellationToken ct)
    {
        await using var command = c.Command($"SELECT {RunColumns} FROM runs r WHERE r.run_uuid = @id", tx).With("@id", runId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadRunInfo(reader) : null;
    }

    private static RunInfo ReadRunInfo(DbDataReader reader) => new(
        reader.GetString(0),
        reader.NullableString(1),
        reader.GetInt64(2),
        reader.NullableString(3),
        Enum.Parse<RunStatus>(reader.GetString(4)),
        reader.NullableInt64(5),
        reader.NullableInt64(6),
        reader.GetString(7),
        reader.GetString(8));

    /// <summary>Loads params, tags, latest metrics and inputs of several runs with one query per kind.</summary>
    private async Task<List<Run>> LoadRunsAsync(DbConnection c, IReadOnlyList<RunInfo> infos, CancellationToken ct)
    {
        var byId = infos.ToDictionary(i => i.RunId, _ => (Metrics: new List<Metric>(), Params: new List<KeyValue>(), Tags: new List<KeyValue>(), Inputs: new List<DatasetInput>()), StringComparer.Ordinal);
        const int chunkSize = 500;
        for (var start = 0; start < infos.Count; start += chunkSize)
        {
            var ids = infos.Skip(start).Take(chunkSize).Select(i => i.RunId).ToList();
            await ReadPairsAsync(c, "SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({0}) ORDER BY run_uuid, key", ids,
                (id, r) => byId[id].Params.Add(new KeyValue(r.GetString(1), r.GetString(2))), ct);
            await ReadPairsAsync(c, "SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({0}) ORDER BY run_uuid, key", ids,
                (id, r) => byId[id].Tags.Add(new KeyValue(r.GetString(1), r.GetString(2))), ct);
            await ReadPairsAsync(c, "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid IN ({0}) ORDER BY run_uuid, key", ids,
                (id, r) => byId[id].Metrics.Add(new Metric(r.GetString(1), r.GetInt64(5) != 0 ? double.NaN : r.GetDouble(2), r.GetInt64(3), r.GetInt64(4))), ct);
            await ReadInputsAsync(c, ids, (id, input) => byId[id].Inputs.Add(input), ct);
        }

        return infos.Select(i =>
        {
            var d = byId[i.RunId];
            return new Run(i, d.Metrics, d.Params, d.Tags, d.Inputs);
        }).ToList();
    }

    private async Task ReadPairsAsync(
        DbConnection c, string sqlFormat, List<string> ids, Action<string, ISqlRow> row, CancellationToken ct)
    {
        await using var command = c.Command(string.Empty);
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sqlFormat, command.AddList("r", ids));
        await Dialect.ForEachRowAsync(command, r => row(r.GetString(0), r), ct);
    }

    private static async Task ReadInputsAsync(DbConnection c, List<string> ids, Action<string, DatasetInput> add, CancellationToken ct)
    {
        var inputs = new List<(string RunId, string InputId, Dataset Dataset)>();
        await using (var command = c.Command(string.Empty))
        {
            command.CommandText =
                $"""
                SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile
                FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
                WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET' AND i.destination_id IN ({command.AddList("r", ids)})
                ORDER BY i.destination_id, d.name, d.digest
                """;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                inputs.Add((reader.GetString(0), reader.GetString(1), new Dataset(reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.NullableString(6), reader.NullableString(7))));
            }
        }

        if (inputs.Count == 0)
        {
            return;
        }

        var tags = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        await using (var command = c.Command(string.Empty))
        {
            command.CommandText = $"SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({command.AddList("i", inputs.Select(i => i.InputId))}) ORDER BY name";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetString(0);
                if (!tags.TryGetValue(id, out var list))
                {
                    tags[id] = list = [];
                }

                list.Add(new KeyValue(reader.GetString(1), reader.GetString(2)));
            }
        }

        foreach (var (runId, inputId, dataset) in inputs)
        {
            add(runId, new DatasetInput(dataset, tags.TryGetValue(inputId, out var t) ? t : []));
        }
    }
}
