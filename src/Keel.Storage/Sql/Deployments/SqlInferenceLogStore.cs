using System.Data.Common;
using Keel.Core.Inference;

namespace Keel.Storage.Sql.Deployments;

/// <summary>
/// <see cref="IInferenceLogStore"/> over SQL: multi-row INSERTs in one transaction per batch, reads
/// by (deployment, time) on its index.
/// </summary>
internal sealed class SqlInferenceLogStore(SqlExecutor executor) : IInferenceLogStore
{
    private const int Columns = 12;
    private const int RowsPerStatement = 200;

    public Task AppendAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        return executor.WriteAsync(async (c, tx) =>
        {
            DbCommand? full = null;
            try
            {
                for (var start = 0; start < records.Count; start += RowsPerStatement)
                {
                    var count = Math.Min(RowsPerStatement, records.Count - start);
                    var command = count == RowsPerStatement ? full ??= Insert(c, tx, count) : Insert(c, tx, count);
                    var p = command.Parameters;
                    for (var i = 0; i < count; i++)
                    {
                        var r = records[start + i];
                        var o = i * Columns;
                        p[o].Value = r.RequestId;
                        p[o + 1].Value = r.Deployment;
                        p[o + 2].Value = r.ModelName;
                        p[o + 3].Value = r.ModelVersion;
                        p[o + 4].Value = r.Route;
                        p[o + 5].Value = r.Shadow ? 1 : 0;
                        p[o + 6].Value = r.Time;
                        p[o + 7].Value = double.IsFinite(r.LatencyMs) ? r.LatencyMs : 0;
                        p[o + 8].Value = r.Status;
                        p[o + 9].Value = (object?)r.Error ?? DBNull.Value;
                        p[o + 10].Value = (object?)r.Inputs ?? DBNull.Value;
                        p[o + 11].Value = (object?)r.Outputs ?? DBNull.Value;
                    }

                    await command.ExecuteNonQueryAsync(ct);
                    if (!ReferenceEquals(command, full))
                    {
                        await command.DisposeAsync();
                    }
                }
            }
            finally
            {
                if (full is not null)
                {
                    await full.DisposeAsync();
                }
            }

            return 0;
        }, ct);
    }

    public Task<IReadOnlyList<InferenceRecord>> QueryAsync(InferenceQuery query, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<InferenceRecord>>(async c =>
        {
            var payloads = query.Payloads ? "error, inputs, outputs" : "error, NULL, NULL";
            var sql = $"SELECT request_id, deployment, model_name, model_version, route, shadow, time, latency_ms, status, {payloads} FROM inference_log WHERE deployment = @d";
            await using var command = c.Command(string.Empty).With("@d", query.Deployment).With("@limit", Math.Clamp(query.Limit, 1, 1_000_000));
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

    public Task<long> PurgeAsync(string deployment, long before, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("DELETE FROM inference_log WHERE deployment = @d AND time < @before", tx)
                .With("@d", deployment).With("@before", before);
            return (long)await command.ExecuteNonQueryAsync(ct);
        }, ct);

    private static DbCommand Insert(DbConnection c, DbTransaction tx, int rows)
    {
        var sql = new System.Text.StringBuilder(
            "INSERT INTO inference_log (request_id, deployment, model_name, model_version, route, shadow, time, latency_ms, status, error, inputs, outputs) VALUES ");
        var command = c.Command(string.Empty, tx);
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            for (var j = 0; j < Columns; j++)
            {
                var name = $"@p{(i * Columns) + j}";
                sql.Append(j == 0 ? name : ", " + name);
                command.Add(name, null);
            }

            sql.Append(')');
        }

        command.CommandText = sql.ToString();
        return command;
    }
}
