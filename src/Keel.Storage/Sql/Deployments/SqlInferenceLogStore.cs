using Keel.Core.Inference;

namespace Keel.Storage.Sql.Deployments;

/// <summary>
/// <see cref="IInferenceLogStore"/> over SQL: one transaction per batch (the dialect inserts the
/// rows its fastest way), reads by (deployment, time) on its index.
/// </summary>
internal sealed class SqlInferenceLogStore(SqlExecutor executor) : IInferenceLogStore
{
    public Task AppendAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        return executor.WriteAsync(async (c, tx) =>
        {
            await executor.Dialect.InsertInferenceAsync(c, tx, records, ct);
            return 0;
        }, ct);
    }

    public Task<IReadOnlyList<InferenceRecord>> QueryAsync(InferenceQuery query, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<InferenceRecord>>(async c =>
        {
            var payloads = query.Payloads ? "error, inputs, outputs" : "error, NULL, NULL";
            await using var command = c.Command(string.Empty).With("@limit", Math.Clamp(query.Limit, 1, 1_000_000));
            var sql = $"SELECT request_id, deployment, model_name, model_version, route, shadow, time, latency_ms, status, {payloads} FROM inference_log" + Where(command, query);
            if (query.Stride > 1)
            {
                sql += " AND id % @stride = 0";
                command.Add("@stride", (long)query.Stride);
            }

            command.CommandText = sql + " ORDER BY time DESC, id DESC LIMIT @limit";
            var records = new List<InferenceRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                records.Add(new InferenceRecord(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    Convert.ToInt64(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture) != 0,
                    reader.GetInt64(6), reader.GetDouble(7),
                    Convert.ToInt32(reader.GetValue(8), System.Globalization.CultureInfo.InvariantCulture),
                    reader.NullableString(9), reader.NullableString(10), reader.NullableString(11)));
            }

            return records;
        }, ct);

    public Task<long> CountAsync(InferenceQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(string.Empty);
            command.CommandText = "SELECT COUNT(*) FROM inference_log" + Where(command, query);
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    private static string Where(System.Data.Common.DbCommand command, InferenceQuery query)
    {
        var sql = " WHERE deployment = @d";
        command.Add("@d", query.Deployment);
        if (query.Since is { } since)
        {
            sql += " AND time >= @since";
            command.Add("@since", since);
        }

        if (query.Until is { } until)
        {
            sql += " AND time < @until";
            command.Add("@until", until);
        }

        if (query.Route is { } route)
        {
            sql += " AND route = @route";
            command.Add("@route", route);
        }

        if (query.Shadow is { } shadow)
        {
            sql += " AND shadow = @shadow";
            command.Add("@shadow", shadow ? 1 : 0);
        }

        return sql;
    }

    public Task<long> PurgeAsync(string deployment, long before, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("DELETE FROM inference_log WHERE deployment = @d AND time < @before", tx)
                .With("@d", deployment).With("@before", before);
            return (long)await command.ExecuteNonQueryAsync(ct);
        }, ct);
}
