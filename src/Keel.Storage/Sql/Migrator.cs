using System.Data.Common;
using System.Reflection;

namespace Keel.Storage.Sql;

/// <summary>
/// Applies the embedded `Sql/Migrations/{dialect}/NNNN_name.sql` files in order, once each,
/// recording them in `keel_schema_version`. Runs at start-up, inside one transaction.
/// </summary>
internal static class Migrator
{
    public static IReadOnlyList<(int Version, string Sql)> Migrations(SqlDialect dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Sql.Migrations.{dialect.Name}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => (Version: int.Parse(n[prefix.Length..].Split('_')[0], System.Globalization.CultureInfo.InvariantCulture), Sql: Read(assembly, n)))
            .OrderBy(m => m.Version)
            .ToList();
    }

    public static Task<int> MigrateAsync(SqlExecutor executor, CancellationToken ct) =>
        executor.WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction,
                "CREATE TABLE IF NOT EXISTS keel_schema_version (version INTEGER NOT NULL PRIMARY KEY)", ct);
            var current = Convert.ToInt32(await ScalarAsync(connection, transaction,
                "SELECT COALESCE(MAX(version), 0) FROM keel_schema_version", ct), System.Globalization.CultureInfo.InvariantCulture);
            var applied = 0;
            foreach (var (version, sql) in Migrations(executor.Dialect).Where(m => m.Version > current))
            {
                await ExecuteAsync(connection, transaction, sql, ct);
                await ExecuteAsync(connection, transaction, $"INSERT INTO keel_schema_version (version) VALUES ({version})", ct);
                applied++;
            }

            return applied;
        }, ct);

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(ct);
    }
}
