using System.Runtime.CompilerServices;
using System.Text;
using Keel.Storage.Sql;
using Keel.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Keel.Storage.Tests.Schema;

/// <summary>
/// Each dialect's migrations produce exactly the committed schema. A migration that changes the
/// schema updates the snapshot in the same commit (run with KEEL_UPDATE_SNAPSHOTS=1 to rewrite it).
/// </summary>
public sealed class SchemaSnapshotTests
{
    [Fact]
    public async Task Sqlite_migrations_produce_the_committed_schema()
    {
        using var folder = new TempDirectory();
        var path = folder.Combine("schema.db");
        await MigrateAsync("sqlite:///" + path);
        var schema = new StringBuilder();
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY type, name";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                schema.Append(reader.GetString(0)).Append(' ').Append(reader.GetString(1)).Append(":\n  ")
                    .Append(string.Join("\n  ", reader.GetString(2).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))).Append('\n');
            }
        }

        AssertSnapshot("sqlite", schema.ToString());
    }

    [Fact]
    public async Task Postgresql_migrations_produce_the_committed_schema()
    {
        var server = await PostgresServer.GetSharedAsync();
        var database = "schema_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = await server.CreateDatabaseAsync(database);
        await MigrateAsync(server.UriFor(database));
        var schema = new StringBuilder();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using (var columns = new NpgsqlCommand(
                """
                SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, ''), is_identity
                FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                """, connection))
            await using (var reader = await columns.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    schema.Append($"column {reader.GetString(0)}.{reader.GetString(1)}: {reader.GetString(2)} nullable={reader.GetString(3)} default={reader.GetString(4)} identity={reader.GetString(5)}\n");
                }
            }

            await using (var indexes = new NpgsqlCommand(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname", connection))
            await using (var reader = await indexes.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    schema.Append($"index {reader.GetString(0)}: {reader.GetString(1)}\n");
                }
            }
        }

        AssertSnapshot("postgresql", schema.ToString());
    }

    private static async Task MigrateAsync(string uri)
    {
        var store = TrackingStoreFactory.Open(uri);
        try
        {
            await store.InitializeAsync(id => $"mlflow-artifacts:/{id}", 0, CancellationToken.None);
        }
        finally
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }

    private static void AssertSnapshot(string dialect, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Snapshots", dialect + ".txt");
        if (Environment.GetEnvironmentVariable("KEEL_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"No committed snapshot at {path}: run the test with KEEL_UPDATE_SNAPSHOTS=1 and commit it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(expected == actual,
            $"The {dialect} schema differs from {path}. If the migration is intended, rerun with KEEL_UPDATE_SNAPSHOTS=1 and commit the new snapshot.\nActual:\n{actual}");
    }
}
