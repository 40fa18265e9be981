using System.Data.Common;
using System.Runtime.CompilerServices;
using Keel.Core.Errors;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

internal sealed partial class SqlTrackingStore
{
    public Task LogBatchAsync(string runId, RunBatch batch, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await InsertParamsAsync(c, tx, runId, batch.Params, ct);
            await InsertMetricsAsync(c, tx, runId, batch.Metrics, ct);
            await UpsertTagsAsync(c, tx, runId, batch.Tags, ct);
            return 0;
        }, ct);

    private static async Task InsertParamsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<KeyValue> parameters, CancellationToken ct)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        await using var insert = c.Command(
            "INSERT INTO params (run_uuid, key, value) VALUES (@id, @key, @value) ON CONFLICT (run_uuid, key) DO NOTHING", tx);
        insert.Add("@id", runId);
        var key = insert.Add("@key", null);
        var value = insert.Add("@value", null);
        foreach (var p in parameters)
        {
            key.Value = p.Key;
            value.Value = p.Value;
            if (await insert.ExecuteNonQueryAsync(ct) > 0)
            {
                continue;
            }

            // Params are write-once: the same value again is a no-op, another value is an error.
            await using var select = c.Command("SELECT value FROM params WHERE run_uuid = @id AND key = @key", tx)
                .With("@id", runId).With("@key", p.Key);
            var existing = (string?)await select.ExecuteScalarAsync(ct);
            if (!string.Equals(existing, p.Value, StringComparison.Ordinal))
            {
                throw KeelException.Invalid(
                    $"Changing param values is not allowed. Param with key='{p.Key}' was already logged with value='{existing}' for run ID='{runId}'. Attempted logging new value '{p.Value}'.");
            }
        }
    }

    private async Task InsertMetricsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        await Dialect.InsertMetricsAsync(c, tx, runId, metrics, ct);
        await UpdateLatestMetricsAsync(c, tx, runId, metrics, ct);
    }

    /// <summary>Moves latest_metrics forward to the greatest (step, timestamp, value) per key (reference §6.2).</summary>
    private static async Task UpdateLatestMetricsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        var latest = new Dictionary<string, Metric>(StringComparer.Ordinal);
        foreach (var m in metrics)
        {
            if (!latest.TryGetValue(m.Key, out var current) || IsLater(m, current))
            {
                latest[m.Key] = m;
            }
        }

        await using var upsert = c.Command(
            """
            INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES (@id, @key, @value, @timestamp, @step, @nan)
            ON CONFLICT (run_uuid, key) DO UPDATE SET
                value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
            WHERE excluded.step > latest_metrics.step
               OR (excluded.step = latest_metrics.step AND excluded.timestamp > latest_metrics.timestamp)
               OR (excluded.step = latest_metrics.step AND excluded.timestamp = latest_metrics.timestamp AND excluded.value > latest_metrics.value)
            """, tx);
        upsert.Add("@id", runId);
        var key = upsert.Add("@key", null);
        var value = upsert.Add("@value", 0d);
        var timestamp = upsert.Add("@timestamp", 0L);
        var step = upsert.Add("@step", 0L);
        var nan = upsert.Add("@nan", 0);
        foreach (var m in latest.Values.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var isNan = double.IsNaN(m.Value);
            key.Value = m.Key;
            value.Value = SqlDialect.StoredValue(m.Value);
            timestamp.Value = m.Timestamp;
            step.Value = m.Step;
            nan.Value = isNan ? 1 : 0;
            await upsert.ExecuteNonQueryAsync(ct);
        }
    }

    private static bool IsLater(Metric a, Metric b) =>
        a.Step != b.Step ? a.Step > b.Step
        : a.Timestamp != b.Timestamp ? a.Timestamp > b.Timestamp
        : StoredValue(a) > StoredValue(b);

    private static double StoredValue(Metric m) => SqlDialect.StoredValue(m.Value);

    public async IAsyncEnumerable<Metric> GetMetricHistoryAsync(
        string runId, string key, Metric? after, int? limit, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = await executor.OpenReadConnectionAsync(ct);
        await using var command = c.Command(string.Empty).With("@id", runId).With("@key", key);
        var where = "run_uuid = @id AND key = @key";
        if (after is not null)
        {
            // Keyset paging in primary-key order: (timestamp, step, value, is_nan) strictly after the cursor.
            where += " AND (timestamp > @t OR (timestamp = @t AND (step > @s OR (step = @s AND (value > @v OR (value = @v AND is_nan > @n))))))";
            command.Add("@t", after.Timestamp);
            command.Add("@s", after.Step);
            command.Add("@v", SqlDialect.StoredValue(after.Value));
            command.Add("@n", double.IsNaN(after.Value) ? 1 : 0);
        }

        command.CommandText = $"SELECT timestamp, step, value, is_nan FROM metrics WHERE {where} ORDER BY timestamp, step, value, is_nan"
            + (limit is null ? "" : $" LIMIT {limit.Value}");
        await foreach (var point in Dialect.ReadMetricPointsAsync(command, key, ct))
        {
            yield return point;
        }
    }

    public Task<IReadOnlyList<MetricWithRunId>> GetMetricPointsAsync(
        IReadOnlyList<string> runIds, string key, long? startStep, long? endStep, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<MetricWithRunId>>(async c =>
        {
            await using var command = c.Command(string.Empty);
            var range = startStep is null ? "" : " AND step >= @start AND step <= @end";
            command.CommandText =
                $"SELECT run_uuid, timestamp, step, value, is_nan FROM metrics WHERE key = @key AND run_uuid IN ({command.AddList("r", runIds)}){range}";
            command.Add("@key", key);
            if (startStep is not null)
            {
                command.Add("@start", startStep);
                command.Add("@end", endStep);
            }

            var points = new List<MetricWithRunId>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                points.Add(new MetricWithRunId(reader.GetString(0), key, ReadMetricValue(reader, 3, 4), reader.GetInt64(1), reader.GetInt64(2)));
            }

            return points;
        }, ct);
}
