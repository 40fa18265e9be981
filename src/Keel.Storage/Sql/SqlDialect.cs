using System.Data.Common;

namespace Keel.Storage.Sql;

/// <summary>The few places SQLite and PostgreSQL differ; everything else is shared SQL.</summary>
internal abstract class SqlDialect
{
    /// <summary>Folder name of the embedded migrations (`Sql/Migrations/{name}/NNNN_*.sql`).</summary>
    public abstract string Name { get; }

    /// <summary>Case-sensitive LIKE (MLflow forces binary comparison, reference §5.1).</summary>
    public abstract string Like(string expression, string parameter);

    /// <summary>Case-insensitive LIKE.</summary>
    public abstract string ILike(string expression, string parameter);

    /// <summary>Turns a LIKE pattern into what <see cref="Like"/> binds.</summary>
    public virtual string LikePattern(string pattern) => pattern;

    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// Rows per metric INSERT. PostgreSQL gains from multi-row statements (fewer round trips);
    /// SQLite runs in-process and binds parameters by name with a linear lookup, so one prepared
    /// single-row statement executed per row is fastest there.
    /// </summary>
    public abstract int MetricRowsPerStatement { get; }
}
