using System.Data.Common;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

/// <summary>
/// <see cref="ITrackingStore"/> over SQL, shared by SQLite and PostgreSQL; the executor decides how
/// connections and transactions are used, the dialect covers the few syntax differences.
/// </summary>
internal sealed partial class SqlTrackingStore(SqlExecutor executor) : ITrackingStore, IAsyncDisposable
{
    private SqlDialect Dialect => executor.Dialect;

    /// <summary>The database this store reaches; the registry store shares it.</summary>
    internal SqlExecutor Executor => executor;

    public async Task InitializeAsync(Func<long, string> defaultArtifactLocation, long now, CancellationToken ct)
    {
        await Migrator.MigrateAsync(executor, ct);
        await executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                """
                INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                SELECT 0, 'Default', @location, 'active', @now, @now
                WHERE NOT EXISTS (SELECT 1 FROM experiments)
                """, tx)
                .With("@location", defaultArtifactLocation(0))
                .With("@now", now);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);
    }

    public ValueTask DisposeAsync() => executor.DisposeAsync();

    private static double ReadMetricValue(DbDataReader reader, int valueOrdinal, int isNanOrdinal) =>
        reader.GetInt64(isNanOrdinal) != 0 ? double.NaN : reader.GetDouble(valueOrdinal);
}
