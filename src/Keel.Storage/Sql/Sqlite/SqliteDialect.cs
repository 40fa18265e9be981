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

                    if (raw.sqlite3_step(statement) != raw.SQLITE_DONE)
                    {
                        throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), raw.sqlite3_errcode(db));
                    }

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
    public override Task InsertInferenceAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Keel.Core.Inference.InferenceRecord> records, CancellationToken ct)
    {
        var db = ((SqliteConnection)c).Handle!;
        Check(db, raw.sqlite3_prepare_v2(db,
            $"INSERT INTO inference_log ({InferenceColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", out var statement));
        using (statement)
        {
            foreach (var record in records)
            {
                var values = InferenceValues(record);
                for (var i = 0; i < values.Length; i++)
                {
                    Check(db, values[i] switch
                    {
                        string text => raw.sqlite3_bind_text(statement, i + 1, text),
                        long integer => raw.sqlite3_bind_int64(statement, i + 1, integer),
                        int integer => raw.sqlite3_bind_int(statement, i + 1, integer),
                        double real => raw.sqlite3_bind_double(statement, i + 1, real),
                        _ => raw.sqlite3_bind_null(statement, i + 1),
                    });
                }

                if (raw.sqlite3_step(statement) != raw.SQLITE_DONE)
                {
                    throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), raw.sqlite3_errcode(db));
                }

                raw.sqlite3_reset(statement);
            }
        }

        return Task.CompletedTask;
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
