using System.Data.Common;

namespace Keel.Storage.Sql;

/// <summary>
/// How a store reaches its database: reads on pooled connections, writes in transactions. SQLite
/// funnels writes through one group-committing writer; PostgreSQL runs them side by side.
/// </summary>
internal abstract class SqlExecutor : IAsyncDisposable
{
    public abstract SqlDialect Dialect { get; }

    public abstract Task<DbConnection> OpenReadConnectionAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="write"/> atomically: all of its statements commit or none do.</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken ct);

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken ct)
    {
        await using var connection = await OpenReadConnectionAsync(ct);
        return await read(connection);
    }

    public abstract ValueTask DisposeAsync();
}
