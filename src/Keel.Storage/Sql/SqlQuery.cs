using System.Data.Common;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

/// <summary>
/// The SQL of searching, shared by every store: filter clauses on attributes and key-value child
/// tables, sort keys with missing values last, and keyset pages whose tokens survive new rows.
/// </summary>
internal static class SqlQuery
{
    /// <summary>A clause on a key-value child table (params, tags): matched by join, so an entity without the key never matches a comparison (reference §5.1).</summary>
    public static string KeyValueFilter(SqlDialect dialect, DbCommand command, Comparison clause, string p, string table, string owner)
    {
        var exists = $"SELECT 1 FROM {table} x WHERE {owner} AND x.key = {Bind(command, p + "k", clause.Key)}";
        return clause.Op switch
        {
            Comparator.IsNull => $"NOT EXISTS ({exists})",
            Comparator.IsNotNull => $"EXISTS ({exists})",
            _ => $"EXISTS ({exists} AND {StringCondition(dialect, command, "x.value", clause, p)})",
        };
    }

    public static string StringCondition(SqlDialect dialect, DbCommand command, string column, Comparison clause, string p) => clause.Op switch
    {
        Comparator.Like => dialect.Like(column, Bind(command, p, dialect.LikePattern((string)clause.Value!))),
        Comparator.ILike => dialect.ILike(column, Bind(command, p, clause.Value)),
        Comparator.In => clause.Value is IReadOnlyList<string> { Count: > 0 } list ? $"{column} IN ({command.AddList(p[1..] + "_", list)})" : "1 = 0",
        Comparator.NotIn => clause.Value is IReadOnlyList<string> { Count: > 0 } list ? $"{column} NOT IN ({command.AddList(p[1..] + "_", list)})" : "1 = 1",
        Comparator.IsNull => $"{column} IS NULL",
        Comparator.IsNotNull => $"{column} IS NOT NULL",
        _ => $"{column} {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}",
    };

    public static string Bind(DbCommand command, string name, object? value)
    {
        // Integral doubles bind as integers so they compare exactly with BIGINT columns.
        command.Add(name, value is double d && d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (object)(long)d : value);
        return name;
    }

    public static string SqlOperator(Comparator op) => op switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "<>",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        _ => throw KeelException.Invalid($"Comparator {op} is not valid here."),
    };

    public static SortComponent[] AttributeSort(string column, bool ascending, SortKind kind) =>
    [
        new SortComponent($"CASE WHEN {column} IS NULL THEN 1 ELSE 0 END", true, SortKind.Integer),
        new SortComponent(column, ascending, kind),
    ];

    /// <summary>
    /// Keyset pagination: the token holds the sort values of the last row returned, and the next
    /// page starts strictly after them, so rows inserted meanwhile neither repeat nor shift a page.
    /// </summary>
    public static async Task<KeysetPage<T>> PageAsync<T>(
        DbConnection c, DbCommand command, string select, string from, string joins, List<string> where,
        List<SortComponent> sort, string? pageToken, int limit, Func<DbDataReader, T> read, CancellationToken ct)
    {
        if (pageToken is not null)
        {
            var last = PageTokens.Decode<JsonElement[]>(pageToken);
            if (last.Length != sort.Count)
            {
                throw KeelException.Invalid("Invalid page token: it belongs to a search with a different order_by.");
            }

            where.Add(KeysetCondition(command, sort, last));
        }

        var sortColumns = string.Join(", ", sort.Select((s, i) => $"{s.Expression} AS k{i}"));
        command.CommandText =
            $"{select}, {sortColumns} FROM {from}{joins} WHERE {string.Join(" AND ", where)} " +
            $"ORDER BY {string.Join(", ", sort.Select(s => s.Expression + (s.Ascending ? " ASC" : " DESC")))} LIMIT {limit}";
        var items = new List<T>();
        var keys = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var first = reader.FieldCount - sort.Count;
        while (await reader.ReadAsync(ct))
        {
            items.Add(read(reader));
            var row = new object?[sort.Count];
            for (var i = 0; i < sort.Count; i++)
            {
                row[i] = reader.IsDBNull(first + i) ? null : sort[i].Kind switch
                {
                    SortKind.Integer => reader.GetInt64(first + i),
                    SortKind.Real => reader.GetDouble(first + i),
                    _ => reader.GetString(first + i),
                };
            }

            keys.Add(row);
        }

        return new KeysetPage<T>(items, keys, limit);
    }

    private static string KeysetCondition(DbCommand command, List<SortComponent> sort, JsonElement[] last)
    {
        var disjuncts = new List<string>();
        var equalities = new List<string>();
        for (var i = 0; i < sort.Count; i++)
        {
            var s = sort[i];
            var value = TokenValue(last[i], s.Kind);
            var name = $"@ks{i}";
            if (value is not null)
            {
                command.Add(name, value);
                disjuncts.Add(string.Join(" AND ", equalities.Append($"{s.Expression} {(s.Ascending ? ">" : "<")} {name}")));
                equalities.Add($"{s.Expression} = {name}");
            }
            else
            {
                // Nothing sorts after NULL within its group; only later keys can move forward.
                equalities.Add($"{s.Expression} IS NULL");
            }
        }

        return disjuncts.Count == 0 ? "1 = 0" : "(" + string.Join(" OR ", disjuncts.Select(d => $"({d})")) + ")";
    }

    private static object? TokenValue(JsonElement element, SortKind kind)
    {
        try
        {
            return element.ValueKind switch
            {
                JsonValueKind.Null => null,
                _ when kind == SortKind.Integer => element.GetInt64(),
                _ when kind == SortKind.Real => element.GetDouble(),
                _ => element.GetString(),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw KeelException.Invalid("Invalid page token: it belongs to a different search.");
        }
    }

    public enum SortKind
    {
        Integer,
        Real,
        Text,
    }

    public sealed record SortComponent(string Expression, bool Ascending, SortKind Kind);

    public sealed record KeysetPage<T>(List<T> Items, List<object?[]> Keys, int Limit)
    {
        public string? NextPageToken => Items.Count == Limit && Items.Count > 0 ? TokenAfter(Items.Count - 1) : null;

        public string TokenAfter(int index) => PageTokens.Encode(Keys[index]);
    }
}
