using System.Data.Common;
using System.Globalization;
using Keel.Core.Errors;
using Keel.Core.Monitoring;

namespace Keel.Storage.Sql.Monitoring;

/// <summary>
/// <see cref="IMonitoringStore"/> over SQL, in the tracking store's database beside the inference
/// log it joins: feedback is checked against the log's request-id index, results and metrics are
/// keyed by (monitor, window end) so a window computed twice replaces itself.
/// </summary>
internal sealed class SqlMonitoringStore(SqlExecutor executor) : IMonitoringStore
{
    private const int ListChunk = 500;
    private const int ListedUnknown = 100;
    private const string MonitorColumns = "name, deployment, spec, creation_time, last_updated_time, last_run_time";

    public Task<FeedbackResult> AddFeedbackAsync(IReadOnlyList<FeedbackItem> items, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            // The latest item for a request id wins, within the batch as against what is stored.
            var latest = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                latest[item.RequestId] = item.Actual;
            }

            var deployments = new Dictionary<string, string>(StringComparer.Ordinal);
            var stored = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in latest.Keys.Chunk(ListChunk))
            {
                await using (var known = c.Command(string.Empty, tx))
                {
                    known.CommandText = "SELECT r.request_id, s.deployment FROM inference_requests r JOIN inference_segments s ON s.id = r.segment "
                        + $"WHERE s.shadow = 0 AND r.request_id IN ({known.AddList("r", part)})";
                    await using var reader = await known.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        deployments.TryAdd(reader.GetString(0), reader.GetString(1));
                    }
                }

                await using var existing = c.Command(string.Empty, tx);
                existing.CommandText = $"SELECT request_id FROM inference_feedback WHERE request_id IN ({existing.AddList("r", part)})";
                await using var rows = await existing.ExecuteReaderAsync(ct);
                while (await rows.ReadAsync(ct))
                {
                    stored.Add(rows.GetString(0));
                }
            }

            var unknown = new List<string>();
            var accepted = 0;
            foreach (var (requestId, actual) in latest)
            {
                if (!deployments.TryGetValue(requestId, out var deployment))
                {
                    unknown.Add(requestId);
                    continue;
                }

                await using var upsert = c.Command(
                    "INSERT INTO inference_feedback (request_id, deployment, actual, time) VALUES (@r, @d, @a, @t) "
                    + "ON CONFLICT (request_id) DO UPDATE SET actual = excluded.actual, time = excluded.time", tx)
                    .With("@r", requestId).With("@d", deployment).With("@a", actual).With("@t", now);
                await upsert.ExecuteNonQueryAsync(ct);
                accepted++;
            }

            // Items beyond the first for a request id in this batch were replaced by a later one.
            var replaced = (items.Count - latest.Count) + latest.Keys.Count(stored.Contains);
            return new FeedbackResult(accepted, replaced, unknown.Count, [.. unknown.Take(ListedUnknown)]);
        }, ct);

    public Task<IReadOnlyDictionary<string, StoredFeedback>> GetFeedbackAsync(IReadOnlyCollection<string> requestIds, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyDictionary<string, StoredFeedback>>(async c =>
        {
            var found = new Dictionary<string, StoredFeedback>(StringComparer.Ordinal);
            foreach (var part in requestIds.Distinct(StringComparer.Ordinal).Chunk(ListChunk))
            {
                await using var command = c.Command(string.Empty);
                command.CommandText = $"SELECT request_id, deployment, actual, time FROM inference_feedback WHERE request_id IN ({command.AddList("r", part)})";
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    found[reader.GetString(0)] = new StoredFeedback(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3));
                }
            }

            return found;
        }, ct);

    public Task CreateMonitorAsync(MonitorDefinition monitor, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                $"INSERT INTO monitors ({MonitorColumns}) VALUES (@n, @d, @s, @c, @u, NULL) ON CONFLICT (name) DO NOTHING", tx)
                .With("@n", monitor.Name).With("@d", monitor.Deployment).With("@s", monitor.SpecJson)
                .With("@c", monitor.CreationTime).With("@u", monitor.LastUpdatedTime);
            if (await command.ExecuteNonQueryAsync(ct) == 0)
            {
                throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Monitor '{monitor.Name}' already exists.");
            }

            return 0;
        }, ct);

    public Task<bool> UpdateMonitorAsync(MonitorDefinition monitor, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("UPDATE monitors SET deployment = @d, spec = @s, last_updated_time = @u WHERE name = @n", tx)
                .With("@n", monitor.Name).With("@d", monitor.Deployment).With("@s", monitor.SpecJson).With("@u", monitor.LastUpdatedTime);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<MonitorDefinition?> GetMonitorAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command($"SELECT {MonitorColumns} FROM monitors WHERE name = @n").With("@n", name);
            return (await ReadMonitorsAsync(command, ct)).FirstOrDefault();
        }, ct);

    public Task<IReadOnlyList<MonitorDefinition>> ListMonitorsAsync(string? deployment, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = deployment is null
                ? c.Command($"SELECT {MonitorColumns} FROM monitors ORDER BY name")
                : c.Command($"SELECT {MonitorColumns} FROM monitors WHERE deployment = @d ORDER BY name").With("@d", deployment);
            return await ReadMonitorsAsync(command, ct);
        }, ct);

    public Task<bool> DeleteMonitorAsync(string name, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            foreach (var table in new[] { "monitor_metrics", "monitor_results" })
            {
                await using var clear = c.Command($"DELETE FROM {table} WHERE monitor = @n", tx).With("@n", name);
                await clear.ExecuteNonQueryAsync(ct);
            }

            await using var command = c.Command("DELETE FROM monitors WHERE name = @n", tx).With("@n", name);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<bool> TryClaimRunAsync(string name, long now, long dueBefore, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "UPDATE monitors SET last_run_time = @now WHERE name = @n AND (last_run_time IS NULL OR last_run_time <= @due)", tx)
                .With("@n", name).With("@now", now).With("@due", dueBefore);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task SaveResultAsync(MonitorResult result, IReadOnlyList<MonitorMetric> metrics, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var upsert = c.Command(
                "INSERT INTO monitor_results (monitor, window_start, window_end, computed_time, row_count, dataset_drift, report) "
                + "VALUES (@m, @s, @e, @c, @r, @dd, @rep) ON CONFLICT (monitor, window_end) DO UPDATE SET window_start = excluded.window_start, "
                + "computed_time = excluded.computed_time, row_count = excluded.row_count, dataset_drift = excluded.dataset_drift, report = excluded.report", tx)
                .With("@m", result.Monitor).With("@s", result.WindowStart).With("@e", result.WindowEnd).With("@c", result.ComputedTime)
                .With("@r", result.Rows).With("@dd", result.DatasetDrift ? 1 : 0).With("@rep", result.ReportJson ?? "{}"))
            {
                await upsert.ExecuteNonQueryAsync(ct);
            }

            await using (var clear = c.Command("DELETE FROM monitor_metrics WHERE monitor = @m AND window_end = @e", tx)
                .With("@m", result.Monitor).With("@e", result.WindowEnd))
            {
                await clear.ExecuteNonQueryAsync(ct);
            }

            foreach (var metric in metrics.Where(m => double.IsFinite(m.Value)))
            {
                await using var insert = c.Command(
                    "INSERT INTO monitor_metrics (monitor, feature, metric, window_end, value) VALUES (@m, @f, @k, @e, @v) "
                    + "ON CONFLICT (monitor, feature, metric, window_end) DO UPDATE SET value = excluded.value", tx)
                    .With("@m", result.Monitor).With("@f", metric.Feature).With("@k", metric.Metric).With("@e", result.WindowEnd).With("@v", metric.Value);
                await insert.ExecuteNonQueryAsync(ct);
            }

            await using var mark = c.Command("UPDATE monitors SET last_run_time = @c WHERE name = @m", tx)
                .With("@m", result.Monitor).With("@c", result.ComputedTime);
            return await mark.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<IReadOnlyList<MonitorResult>> ListResultsAsync(string monitor, long? since, long? until, int limit, bool reports, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<MonitorResult>>(async c =>
        {
            await using var command = c.Command(string.Empty).With("@m", monitor).With("@limit", Math.Clamp(limit, 1, 10_000));
            var sql = $"SELECT monitor, window_start, window_end, computed_time, row_count, dataset_drift, {(reports ? "report" : "NULL")} FROM monitor_results WHERE monitor = @m";
            sql += Range(command, "window_end", since, until);
            command.CommandText = sql + " ORDER BY window_end DESC LIMIT @limit";
            var results = new List<MonitorResult>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                results.Add(new MonitorResult(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                    Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture) != 0, reader.NullableString(6)));
            }

            return results;
        }, ct);

    public Task<MonitorMetric?> LatestMetricAsync(string monitor, string feature, string metric, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(
                "SELECT window_end, value FROM monitor_metrics WHERE monitor = @m AND feature = @f AND metric = @k ORDER BY window_end DESC LIMIT 1")
                .With("@m", monitor).With("@f", feature).With("@k", metric);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new MonitorMetric(monitor, reader.GetInt64(0), feature, metric, reader.GetDouble(1)) : null;
        }, ct);

    public Task<IReadOnlyList<MonitorMetric>> QueryMetricsAsync(string monitor, string? feature, string? metric, long? since, long? until, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<MonitorMetric>>(async c =>
        {
            await using var command = c.Command(string.Empty).With("@m", monitor);
            var sql = "SELECT monitor, window_end, feature, metric, value FROM monitor_metrics WHERE monitor = @m";
            if (feature is not null)
            {
                sql += " AND feature = @f";
                command.Add("@f", feature);
            }

            if (metric is not null)
            {
                sql += " AND metric = @k";
                command.Add("@k", metric);
            }

            command.CommandText = sql + Range(command, "window_end", since, until) + " ORDER BY window_end, feature, metric LIMIT 100000";
            var points = new List<MonitorMetric>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                points.Add(new MonitorMetric(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetDouble(4)));
            }

            return points;
        }, ct);

    private static string Range(DbCommand command, string column, long? since, long? until)
    {
        var sql = "";
        if (since is { } s)
        {
            sql += $" AND {column} >= @since";
            command.Add("@since", s);
        }

        if (until is { } u)
        {
            sql += $" AND {column} <= @until";
            command.Add("@until", u);
        }

        return sql;
    }

    private static async Task<IReadOnlyList<MonitorDefinition>> ReadMonitorsAsync(DbCommand command, CancellationToken ct)
    {
        var monitors = new List<MonitorDefinition>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            monitors.Add(new MonitorDefinition(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.NullableInt64(5)));
        }

        return monitors;
    }
}
