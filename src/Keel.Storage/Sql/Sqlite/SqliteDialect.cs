using System.Data.Common;
using System.Text;
using Keel.Core.Tracking;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Keel.Storage.Sql.Sqlite;

internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string Name => "sqlite";

    // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive matcher, so LIKE patterns are
    // translated to GLOB patterns (see LikePattern).
    public override string Like(string expression, string parameter) => $"{expression} GLOB {parameter}";

    public override string ILike(string expression, string parameter) => $"{expression} LIKE {parameter}";

    public override string LikePattern(string pattern)
    {
        var glob = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern)
        {
            glob.Append(c switch
            {
                '%' => "*",
                '_' => "?",
                '*' => "[*]",
                '?' => "[?]",
                '[' => "[[]",
                _ => c.ToString(),
            });
        }

        return glob.ToString();
    }

    /// <summary>
    /// The hot path of log-batch. Microsoft.Data.Sqlite binds parameters by name (a linear search
    /// per parameter) and builds a data reader per execution, which costs more than the insert
    /// itself; here one multi-row statement is prepared once per batch and bound by position
    /// through SQLite's own API, inside the writer's transaction.
    /// </summary>
    public override Task InsertMetricsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        var db = ((SqliteConnection)c).Handle!;
        // Keys repeat across a batch: encode each distinct key to UTF-8 once.
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var run = Encoding.UTF8.GetBytes(runId);
        sqlite3_stmt? full = null;
        try
        {
            for (var start = 0; start < metrics.Count; start += RawRowsPerStatement)
            {
                var count = Math.Min(RawRowsPerStatement, metrics.Count - start);
                var statement = count == RawRowsPerStatement ? full ??= Prepare(db, count) : Prepare(db, count);
                try
                {
                    // ?1 is the run id, shared by every row; each row then takes five positions.
                    Check(db, raw.sqlite3_bind_text(statement, 1, run.AsSpan()));
                    for (var i = 0; i < count; i++)
                    {
                        var m = metrics[start + i];
                        if (!keys.TryGetValue(m.Key, out var key))
                        {
                            keys[m.Key] = key = Encoding.UTF8.GetBytes(m.Key);
                        }

                        var p = (i * 5) + 2;
                        Check(db, raw.sqlite3_bind_text(statement, p, key.AsSpan()));
                        Check(db, raw.sqlite3_bind_int64(statement, p + 1, m.Timestamp));
                        Check(db, raw.sqlite3_bind_int64(statement, p + 2, m.Step));
                        Check(db, raw.sqlite3_bind_double(statement, p + 3, StoredValue(m.Value)));
                        Check(db, raw.sqlite3_bind_int(statement, p + 4, double.IsNaN(m.Value) ? 1 : 0));
                    }

                    StepDone(db, statement);
                    raw.sqlite3_reset(statement);
                }
                finally
                {
                    if (!ReferenceEquals(statement, full))
                    {
                        statement.Dispose();
                    }
                }
            }
        }
        finally
        {
            full?.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The inference log's batches: one prepared single-row statement stepped per record, bound by
    /// position through SQLite's API (the same reason as <see cref="InsertMetricsAsync"/>).
    /// </summary>
    public override Task InsertInferenceSegmentAsync(
        DbConnection c, DbTransaction tx, Deployments.InferenceSegmentHeader header, byte[] records, IReadOnlyList<string> requestIds, CancellationToken ct)
    {
        var db = ((SqliteConnection)c).Handle!;
        Check(db, raw.sqlite3_prepare_v2(db,
            "INSERT INTO inference_segments (deployment, model_name, model_version, route, shadow, first_time, last_time, record_count, records) "
            + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", out var segment));
        using (segment)
        {
            Check(db, raw.sqlite3_bind_text(segment, 1, header.Deployment));
            Check(db, raw.sqlite3_bind_text(segment, 2, header.ModelName));
            Check(db, raw.sqlite3_bind_text(segment, 3, header.ModelVersion));
            Check(db, raw.sqlite3_bind_text(segment, 4, header.Route));
            Check(db, raw.sqlite3_bind_int(segment, 5, header.Shadow ? 1 : 0));
            Check(db, raw.sqlite3_bind_int64(segment, 6, header.FirstTime));
            Check(db, raw.sqlite3_bind_int64(segment, 7, header.LastTime));
            Check(db, raw.sqlite3_bind_int(segment, 8, header.Count));
            Check(db, raw.sqlite3_bind_blob(segment, 9, records));
            StepDone(db, segment);
        }

        if (requestIds.Count == 0)
        {
            return Task.CompletedTask;
        }

        var id = raw.sqlite3_last_insert_rowid(db);
        Check(db, raw.sqlite3_prepare_v2(db, "INSERT INTO inference_requests (request_id, segment) VALUES (?1, ?2)", out var request));
        using (request)
        {
            Check(db, raw.sqlite3_bind_int64(request, 2, id));
            foreach (var requestId in requestIds)
            {
                Check(db, raw.sqlite3_bind_text(request, 1, requestId));
                StepDone(db, request);
                raw.sqlite3_reset(request);
            }
        }

        return Task.CompletedTask;
    }

    private static void StepDone(sqlite3 db, sqlite3_stmt statement)
    {
        if (raw.sqlite3_step(statement) != raw.SQLITE_DONE)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), raw.sqlite3_errcode(db));
        }
    }

    /// <summary>
    /// Histories run to millions of rows; stepping the statement through SQLite's API directly
    /// reads them in about half the time the ADO.NET data reader takes.
    /// </summary>
    public override IAsyncEnumerable<Metric> ReadMetricPointsAsync(DbCommand command, string key, CancellationToken ct) =>
        ReadRaw((SqliteConnection)command.Connection!, command, key, ct).ToAsyncEnumerable();

    private static IEnumerable<Metric> ReadRaw(SqliteConnection connection, DbCommand command, string key, CancellationToken ct) =>
        Step(connection, command, ct, statement => new Metric(
            key,
            raw.sqlite3_column_int(statement, 3) != 0 ? double.NaN : raw.sqlite3_column_double(statement, 2),
            raw.sqlite3_column_int64(statement, 0),
            raw.sqlite3_column_int64(statement, 1)));

    /// <summary>Search pages load thousands of param, tag and metric rows; step them through SQLite's API too.</summary>
    public override Task ForEachRowAsync(DbCommand command, Action<ISqlRow> row, CancellationToken ct)
    {
        StatementRow? current = null;
        foreach (var _ in Step((SqliteConnection)command.Connection!, command, ct, statement =>
        {
            row(current ??= new StatementRow(statement));
            return true;
        }))
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Prepares the command's SQL on the connection, binds its parameters by name and yields one value per row.</summary>
    private static IEnumerable<T> Step<T>(SqliteConnection connection, DbCommand command, CancellationToken ct, Func<sqlite3_stmt, T> read)
    {
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, command.CommandText, out var statement));
        using (statement)
        {
            foreach (DbParameter parameter in command.Parameters)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
                Check(db, parameter.Value switch
                {
                    string text => raw.sqlite3_bind_text(statement, index, text),
                    long integer => raw.sqlite3_bind_int64(statement, index, integer),
                    int integer => raw.sqlite3_bind_int(statement, index, integer),
                    double real => raw.sqlite3_bind_double(statement, index, real),
                    _ => raw.sqlite3_bind_null(statement, index),
                });
            }

            var rows = 0;
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((++rows & 0xFFF) == 0)
                {
                    ct.ThrowIfCancellationRequested();
                }

                yield return read(statement);
            }

            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
            }
        }
    }

    private sealed class StatementRow(sqlite3_stmt statement) : ISqlRow
    {
        public string GetString(int ordinal) => raw.sqlite3_column_text(statement, ordinal).utf8_to_string();

        public long GetInt64(int ordinal) => raw.sqlite3_column_int64(statement, ordinal);

        public double GetDouble(int ordinal) => raw.sqlite3_column_double(statement, ordinal);
    }

    private const int RawRowsPerStatement = 100;

    private static sqlite3_stmt Prepare(sqlite3 db, int rows)
    {
        Check(db, raw.sqlite3_prepare_v2(db, MetricInsertSql(rows, (_, column) => column == 0 ? "?1" : "?"), out var statement));
        return statement;
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }
    }

    public override string ForcedJoin => "CROSS JOIN";

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19 };
}
