using System.Data.Common;
using System.Text;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

/// <summary>The few places SQLite and PostgreSQL differ; everything else is shared SQL.</summary>
internal abstract class SqlDialect
{
    /// <summary>Folder name of the embedded migrations (`Sql/Migrations/{name}/NNNN_*.sql`).</summary>
    public abstract string Name { get; }

    /// <summary>Case-sensitive LIKE (MLflow forces binary comparison, reference §5.1).</summary>
    public abstract string Like(string expression, string parameter);

    /// <summary>Case-insensitive LIKE.</summary>
    public abstract string ILike(string expression, string parameter);

    /// <summary>Turns a LIKE pattern into what <see cref="Like"/> binds.</summary>
    public virtual string LikePattern(string pattern) => pattern;

    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>Runs a write whose unique-key violation means "already exists", answered with <paramref name="onDuplicate"/>.</summary>
    public async Task<T> UniqueAsync<T>(Func<Task<T>> action, Func<Keel.Core.Errors.KeelException> onDuplicate)
    {
        try
        {
            return await action();
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw onDuplicate();
        }
    }

    /// <summary>
    /// Appends metric points, silently skipping exact duplicates (the primary key). The default is
    /// multi-row INSERTs of <see cref="MetricRowsPerStatement"/> rows: one round trip per chunk.
    /// </summary>
    public virtual Task InsertMetricsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct) =>
        InChunksAsync(metrics.Count, MetricRowsPerStatement, rows => MetricInsert(c, tx, runId, rows), (parameters, start, count) =>
        {
            for (var i = 0; i < count; i++)
            {
                var m = metrics[start + i];
                parameters[1 + (i * 5)].Value = m.Key;
                parameters[2 + (i * 5)].Value = m.Timestamp;
                parameters[3 + (i * 5)].Value = m.Step;
                parameters[4 + (i * 5)].Value = StoredValue(m.Value);
                parameters[5 + (i * 5)].Value = double.IsNaN(m.Value) ? 1 : 0;
            }
        }, ct);

    /// <summary>
    /// Appends one inference log segment inside the caller's transaction: its row, then the
    /// request ids of its live records in `inference_requests` (multi-row INSERTs).
    /// </summary>
    public virtual async Task InsertInferenceSegmentAsync(
        DbConnection c, DbTransaction tx, Deployments.InferenceSegmentHeader header, byte[] records, IReadOnlyList<string> requestIds, CancellationToken ct)
    {
        long id;
        await using (var insert = c.Command(
            "INSERT INTO inference_segments (deployment, model_name, model_version, route, shadow, first_time, last_time, record_count, records) "
            + "VALUES (@d, @m, @v, @r, @s, @first, @last, @n, @records) RETURNING id", tx))
        {
            insert.With("@d", header.Deployment).With("@m", header.ModelName).With("@v", header.ModelVersion).With("@r", header.Route)
                .With("@s", header.Shadow ? 1 : 0).With("@first", header.FirstTime).With("@last", header.LastTime).With("@n", header.Count)
                .With("@records", records);
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }

        await InChunksAsync(requestIds.Count, 500, rows =>
        {
            var command = c.Command(string.Empty, tx).With("@segment", id);
            command.CommandText = "INSERT INTO inference_requests (request_id, segment) VALUES "
                + string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@p{i}, @segment)"));
            for (var i = 0; i < rows; i++)
            {
                command.Add($"@p{i}", null);
            }

            return command;
        }, (parameters, start, count) =>
        {
            for (var i = 0; i < count; i++)
            {
                parameters[i + 1].Value = requestIds[start + i];
            }
        }, ct);
    }

    /// <summary>
    /// Runs a multi-row INSERT per chunk of <paramref name="perStatement"/> rows: the full-size
    /// command is prepared once and rebound; <paramref name="bind"/> sets a chunk's values
    /// (parameters, first row, row count).
    /// </summary>
    private static async Task InChunksAsync(
        int total, int perStatement, Func<int, DbCommand> prepare, Action<DbParameterCollection, int, int> bind, CancellationToken ct)
    {
        DbCommand? full = null;
        try
        {
            for (var start = 0; start < total; start += perStatement)
            {
                var count = Math.Min(perStatement, total - start);
                var command = count == perStatement ? full ??= prepare(count) : prepare(count);
                bind(command.Parameters, start, count);
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
    }

    /// <summary>Runs a query and hands each row to <paramref name="row"/> (columns read by ordinal).</summary>
    public virtual async Task ForEachRowAsync(DbCommand command, Action<ISqlRow> row, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var current = new DataReaderRow(reader);
        while (await reader.ReadAsync(ct))
        {
            row(current);
        }
    }

    /// <summary>Reads (timestamp, step, value, is_nan) rows of a prepared history query as points of <paramref name="key"/>.</summary>
    public virtual async IAsyncEnumerable<Metric> ReadMetricPointsAsync(
        DbCommand command, string key, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var value = reader.GetInt64(3) != 0 ? double.NaN : reader.GetDouble(2);
            yield return new Metric(key, value, reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    /// <summary>Rows per multi-row metric INSERT.</summary>
    protected virtual int MetricRowsPerStatement => 500;

    /// <summary>What the store keeps for a value: NaN as 0 with a flag, ±Inf clamped (reference §6.2).</summary>
    public static double StoredValue(double value) =>
        double.IsNaN(value) ? 0 : double.IsPositiveInfinity(value) ? double.MaxValue : double.IsNegativeInfinity(value) ? double.MinValue : value;

    protected static string MetricInsertSql(int rows, Func<int, int, string> placeholder)
    {
        var sql = new StringBuilder("INSERT INTO metrics (run_uuid, key, timestamp, step, value, is_nan) VALUES ");
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            for (var column = 0; column < 6; column++)
            {
                sql.Append(column == 0 ? "" : ", ").Append(placeholder(i, column));
            }

            sql.Append(')');
        }

        return sql.Append(" ON CONFLICT DO NOTHING").ToString();
    }

    private static DbCommand MetricInsert(DbConnection c, DbTransaction tx, string runId, int rows)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = MetricInsertSql(rows, (row, column) => column == 0 ? "@id" : $"@c{column}r{row}");
        command.Add("@id", runId);
        for (var i = 0; i < rows; i++)
        {
            for (var column = 1; column < 6; column++)
            {
                command.Add($"@c{column}r{i}", null);
            }
        }

        return command;
    }

    /// <summary>A join whose left side the planner must scan first.</summary>
    public abstract string ForcedJoin { get; }
}

/// <summary>The current row of a query, read by column ordinal.</summary>
internal interface ISqlRow
{
    string GetString(int ordinal);

    long GetInt64(int ordinal);

    double GetDouble(int ordinal);
}

internal sealed class DataReaderRow(DbDataReader reader) : ISqlRow
{
    public string GetString(int ordinal) => reader.GetString(ordinal);

    public long GetInt64(int ordinal) => reader.GetInt64(ordinal);

    public double GetDouble(int ordinal) => reader.GetDouble(ordinal);
}
