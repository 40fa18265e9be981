using Keel.Testing;
using Npgsql;

namespace Keel.Storage.Tests.Postgres;

public sealed class PostgresServerTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresServerTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task Fixture_starts_a_server_that_answers_select_1()
    {
        await using var connection = new NpgsqlConnection(_server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select 1", connection);

        var result = await command.ExecuteScalarAsync();

        Assert.Equal(1, result);
    }

    [Fact]
    public async Task Create_database_returns_a_connection_string_to_a_fresh_empty_database()
    {
        var connectionString = await _server.CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select current_database(), (select count(*) from information_schema.tables where table_schema = 'public')",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        Assert.StartsWith("keel_", reader.GetString(0), StringComparison.Ordinal);
        Assert.Equal(0L, reader.GetInt64(1));
    }

    [Fact]
    public void Uri_for_names_host_port_and_database()
    {
        var database = "named_" + Guid.NewGuid().ToString("N")[..8];
        _server.CreateDatabase(database);

        Assert.Equal($"postgresql://postgres@127.0.0.1:{_server.Port}/{database}", _server.UriFor(database));
    }

    [Fact]
    public async Task Shared_server_is_one_instance_per_process_and_survives_dispose()
    {
        var first = await PostgresServer.GetSharedAsync();
        await first.DisposeAsync();
        var second = await PostgresServer.GetSharedAsync();

        Assert.Same(first, second);
        await using var connection = new NpgsqlConnection(second.ConnectionString);
        await connection.OpenAsync();
    }
}
