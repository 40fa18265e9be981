using Keel.Core.Inference;
using Keel.Core.Tracking;
using Keel.Storage.Sql;
using Keel.Storage.Sql.Postgres;
using Keel.Storage.Sql.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Keel.Storage.Tests.Deployments;

/// <summary>
/// Migration 7 turns the inference log's rows (one per record) into segments: a database
/// written by an earlier Keel keeps every record, readable and joinable by request id.
/// </summary>
public sealed class InferenceLogMigrationTests
{
    private const string LegacyRows =
        """
        INSERT INTO inference_log (request_id, deployment, model_name, model_version, route, shadow, time, latency_ms, status, error, inputs, outputs) VALUES
        ('r1', 'iris', 'iris', '1', 'primary', 0, 1000, 1.5, 200, NULL, '{"x":[1.5]}', '{"predictions":[0]}'),
        ('r2', 'iris', 'iris', '2', 'canary', 0, 2000, 2.5, 500, 'boom', '{"x":[2]}', NULL),
        ('r1', 'iris', 'iris', '3', 'shadow', 1, 1000, 3.5, 200, NULL, '{"x":[1.5]}', '{"predictions":[1]}')
        """;

    [Fact]
    public async Task Sqlite_records_logged_before_segments_survive_the_migration()
    {
        using var folder = new Keel.Testing.TempDirectory();
        var path = folder.Combine("keel.db");
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await ApplyUpTo6Async(connection, SqliteDialect.Instance);
        }

        await AssertMigratedAsync(TrackingStoreFactory.Open("sqlite:///" + path));
    }

    [Fact]
    public async Task Postgresql_records_logged_before_segments_survive_the_migration()
    {
        var server = await Keel.Testing.PostgresServer.GetSharedAsync();
        var database = "legacy_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = await server.CreateDatabaseAsync(database);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await ApplyUpTo6Async(connection, PostgresDialect.Instance);
        }

        await AssertMigratedAsync(TrackingStoreFactory.Open(server.UriFor(database)));
    }

    private static async Task ApplyUpTo6Async(System.Data.Common.DbConnection connection, SqlDialect dialect)
    {
        await ExecuteAsync(connection, "CREATE TABLE keel_schema_version (version INTEGER NOT NULL PRIMARY KEY)");
        foreach (var (version, sql) in Migrator.Migrations(dialect).Where(m => m.Version <= 6))
        {
            await ExecuteAsync(connection, sql);
            await ExecuteAsync(connection, $"INSERT INTO keel_schema_version (version) VALUES ({version})");
        }

        await ExecuteAsync(connection, LegacyRows);
    }

    private static async Task AssertMigratedAsync(ITrackingStore tracking)
    {
        try
        {
            await new TrackingService(tracking, new FakeTimeProvider(), new TrackingOptions()).InitializeAsync(CancellationToken.None);
            var log = TrackingStoreFactory.OpenInferenceLog(tracking);
            var records = await log.QueryAsync(new InferenceQuery("iris"), default);
            Assert.Equal(
                [
                    new InferenceRecord("r2", "iris", "iris", "2", "canary", false, 2000, 2.5, 500, "boom", "{\"x\":[2]}", null),
                    new InferenceRecord("r1", "iris", "iris", "3", "shadow", true, 1000, 3.5, 200, null, "{\"x\":[1.5]}", "{\"predictions\":[1]}"),
                    new InferenceRecord("r1", "iris", "iris", "1", "primary", false, 1000, 1.5, 200, null, "{\"x\":[1.5]}", "{\"predictions\":[0]}"),
                ],
                records);

            // New records go on after the migrated ones; feedback joins both, live records only.
            await log.AppendAsync([new InferenceRecord("r3", "iris", "iris", "1", "primary", false, 3000, 1, 200, null, null, null)], default);
            Assert.Equal(4, await log.CountAsync(new InferenceQuery("iris"), default));
            var feedback = await TrackingStoreFactory.OpenMonitoring(tracking).AddFeedbackAsync([new("r1", "0"), new("r2", "1"), new("r3", "1")], 5_000, default);
            Assert.Equal(3, feedback.Accepted);
            Assert.Equal(3, await log.PurgeAsync("iris", 2_500, default));
            Assert.Equal(["r3"], (await log.QueryAsync(new InferenceQuery("iris"), default)).Select(r => r.RequestId));
        }
        finally
        {
            await ((IAsyncDisposable)tracking).DisposeAsync();
        }
    }

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
