using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Storage.Sql.Deployments;
using Keel.Storage.Sql.Postgres;
using Keel.Storage.Sql.Registry;
using Keel.Storage.Sql.Sqlite;
using Npgsql;

namespace Keel.Storage.Sql;

/// <summary>Opens the tracking store a backend-store URI names (MLflow's URI forms).</summary>
public static class TrackingStoreFactory
{
    /// <param name="uri">`sqlite:///relative.db`, `sqlite:////absolute.db` or `postgresql://user:pass@host:port/db`.</param>
    public static ITrackingStore Open(string uri)
    {
        if (uri.StartsWith("sqlite:///", StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(uri["sqlite:///".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return new SqlTrackingStore(new SqliteExecutor(path));
        }

        if (uri.StartsWith("postgresql://", StringComparison.Ordinal) || uri.StartsWith("postgres://", StringComparison.Ordinal)
            || uri.StartsWith("postgresql+", StringComparison.Ordinal))
        {
            return new SqlTrackingStore(new PostgresExecutor(PostgresConnectionString(uri)));
        }

        throw KeelException.Invalid(
            $"Unsupported backend store URI '{uri}': use sqlite:///path.db or postgresql://user:password@host:port/database.");
    }

    /// <summary>
    /// The model registry in the same database as <paramref name="tracking"/> (one SQLite writer,
    /// one set of migrations, applied by the tracking store's initialisation). The tracking store
    /// owns the connection: dispose that one, not this.
    /// </summary>
    public static IRegistryStore OpenRegistry(ITrackingStore tracking) =>
        tracking is SqlTrackingStore sql
            ? new SqlRegistryStore(sql.Executor)
            : throw new ArgumentException("The registry lives in a SQL tracking store's database.", nameof(tracking));

    /// <summary>Deployments in the same database as <paramref name="tracking"/> (see <see cref="OpenRegistry"/>).</summary>
    public static IDeploymentStore OpenDeployments(ITrackingStore tracking) => new SqlDeploymentStore(Executor(tracking));

    /// <summary>The inference log in the same database as <paramref name="tracking"/> (see <see cref="OpenRegistry"/>).</summary>
    public static IInferenceLogStore OpenInferenceLog(ITrackingStore tracking) => new SqlInferenceLogStore(Executor(tracking));

    /// <summary>Versioned datasets in the same database as <paramref name="tracking"/> (see <see cref="OpenRegistry"/>).</summary>
    public static Keel.Core.Datasets.IDatasetStore OpenDatasets(ITrackingStore tracking) => new Datasets.SqlDatasetStore(Executor(tracking));

    /// <summary>Feedback, monitors and their results in the same database as <paramref name="tracking"/> (see <see cref="OpenRegistry"/>).</summary>
    public static Keel.Core.Monitoring.IMonitoringStore OpenMonitoring(ITrackingStore tracking) => new Monitoring.SqlMonitoringStore(Executor(tracking));

    /// <summary>Alert rules, events and deliveries in the same database as <paramref name="tracking"/> (see <see cref="OpenRegistry"/>).</summary>
    public static Keel.Core.Monitoring.IAlertStore OpenAlerts(ITrackingStore tracking) => new Monitoring.SqlAlertStore(Executor(tracking));

    private static SqlExecutor Executor(ITrackingStore tracking) =>
        tracking is SqlTrackingStore sql
            ? sql.Executor
            : throw new ArgumentException("Deployments and the inference log live in a SQL tracking store's database.", nameof(tracking));

    /// <summary>Describes where the store lives without its password, for the start-up banner.</summary>
    public static string Describe(string uri)
    {
        var at = uri.IndexOf('@', StringComparison.Ordinal);
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? uri[..(scheme + 3)] + "***" + uri[at..] : uri;
    }

    internal static string PostgresConnectionString(string uri)
    {
        var parsed = new Uri(uri[uri.IndexOf("://", StringComparison.Ordinal)..].Insert(0, "postgresql"));
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port <= 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')),
            MaxPoolSize = 64,
        };
        if (parsed.UserInfo.Length > 0)
        {
            var parts = parsed.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        return builder.ConnectionString;
    }
}
