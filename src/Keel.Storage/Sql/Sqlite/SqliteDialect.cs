using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Keel.Storage.Sql.Sqlite;

internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string Name => "sqlite";

    // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive matcher, so LIKE patterns are
    // translated to GLOB patterns (see LikePattern).
    public override string Like(string expression, string parameter) => $"{expression} GLOB {parameter}";

    public override string ILike(string expression, string parameter) => $"{expression} LIKE {parameter}";

    public override string LikePattern(string pattern)
    {
        var glob = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern)
        {
            glob.Append(c switch
            {
                '%' => "*",
                '_' => "?",
                '*' => "[*]",
                '?' => "[?]",
                '[' => "[[]",
                _ => c.ToString(),
            });
        }

        return glob.ToString();
    }

    public override int MetricRowsPerStatement => 1;

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19 };
}
