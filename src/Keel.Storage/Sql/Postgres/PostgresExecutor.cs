using System.Data.Common;
using Npgsql;

namespace Keel.Storage.Sql.Postgres;

/// <summary>PostgreSQL handles concurrent writers itself: one pooled connection and transaction per write.</summary>
internal sealed class PostgresExecutor(string connectionString) : SqlExecutor
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override SqlDialect Dialect => PostgresDialect.Instance;

    public override async Task<DbConnection> OpenReadConnectionAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct);

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                var result = await write(connection, transaction);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 5)
            {
                // Concurrent batches on one run can deadlock on latest_metrics rows; PostgreSQL
                // rolled this one back whole, so running it again is safe.
                await transaction.RollbackAsync(ct);
            }
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
