using System.Data.Common;
using Npgsql;

namespace Keel.Storage.Sql.Postgres;

internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override string Name => "postgresql";

    public override string Like(string expression, string parameter) => $"{expression} LIKE {parameter}";

    public override string ILike(string expression, string parameter) => $"{expression} ILIKE {parameter}";

    public override string ForcedJoin => "JOIN";

    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
