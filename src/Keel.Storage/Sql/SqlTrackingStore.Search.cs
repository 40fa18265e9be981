using System.Data.Common;
using System.Text;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql;

internal sealed partial class SqlTrackingStore
{
    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(string.Empty);
            var joins = new StringBuilder();
            var where = new List<string>
            {
                $"r.experiment_id IN ({command.AddList("e", query.ExperimentIds)})",
                ViewTypeClause("r.lifecycle_stage", query.ViewType),
            };
            var n = 0;
            var from = "runs r";
            var driver = query.Filter.FirstOrDefault(c => c is { Kind: EntityKind.Param or EntityKind.Tag, Op: Comparator.Equal });
            if (driver is not null)
            {
                // An equality on a param or tag is usually the most selective clause: let its
                // (key, value) index produce the candidate runs, instead of testing every run of
                // the experiments. The join order is forced so SQLite's planner cannot undo it.
                var table = driver.Kind == EntityKind.Param ? "params" : "tags";
                from = $"(SELECT run_uuid FROM {table} WHERE key = {Bind(command, "@dk", driver.Key)} AND value = {Bind(command, "@dv", driver.Value)}) d " +
                    $"{Dialect.ForcedJoin} runs r ON r.run_uuid = d.run_uuid";
            }

            foreach (var clause in query.Filter.Where(c => !ReferenceEquals(c, driver)))
            {
                where.Add(RunFilter(command, clause, ref n));
            }

            var sort = new List<SortComponent>();
            foreach (var order in query.OrderBy)
            {
                sort.AddRange(RunSort(command, joins, order, ref n));
            }

            // Implicit tie-breakers (reference §5.2): start_time DESC unless ordered already, then run_id.
            if (!query.OrderBy.Any(o => o.Kind == EntityKind.Attribute && o.Key == "start_time"))
            {
                sort.AddRange(AttributeSort("r.start_time", ascending: false, SortKind.Integer));
            }

            sort.Add(new SortComponent("r.run_uuid", true, SortKind.Text));
            var infos = await PageAsync(c, command, $"SELECT {RunColumns}", from, joins.ToString(), where, sort, query.PageToken,
                query.MaxResults, ReadRunInfo, ct);
            var runs = await LoadRunsAsync(c, infos.Items, ct);
            // runs/search emits a token whenever the page is full (reference §1.5).
            return new Page<Run>(runs, infos.NextPageToken);
        }, ct);

    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(string.Empty);
            var where = new List<string> { ViewTypeClause("e.lifecycle_stage", query.ViewType) };
            var n = 0;
            foreach (var clause in query.Filter)
            {
                where.Add(ExperimentFilter(command, clause, ref n));
            }

            var sort = new List<SortComponent>();
            foreach (var order in query.OrderBy)
            {
                var column = ExperimentColumn(order.Key);
                sort.AddRange(AttributeSort(column, order.Ascending, column == "e.name" ? SortKind.Text : SortKind.Integer));
            }

            if (query.OrderBy.Count == 0)
            {
                sort.Add(new SortComponent("e.creation_time", false, SortKind.Integer));
                sort.Add(new SortComponent("e.experiment_id", true, SortKind.Integer));
            }
            else if (!query.OrderBy.Any(o => o.Key == "experiment_id"))
            {
                sort.Add(new SortComponent("e.experiment_id", false, SortKind.Integer));
            }

            var ids = await PageAsync(c, command, "SELECT e.experiment_id", "experiments e", string.Empty, where, sort, query.PageToken,
                query.MaxResults + 1, r => r.GetInt64(0), ct);
            // Experiments fetch one extra row and emit a token only when more exist (reference §1.5).
            var page = ids.Items.Take(query.MaxResults).ToList();
            var token = ids.Items.Count > query.MaxResults ? ids.TokenAfter(query.MaxResults - 1) : null;
            if (page.Count == 0)
            {
                return new Page<Experiment>([], null);
            }

            var experiments = await ReadExperimentsAsync(c,
                $"SELECT {ExperimentColumns} FROM experiments e WHERE e.experiment_id IN ({string.Join(", ", page)})", _ => { }, ct);
            var byId = experiments.ToDictionary(e => e.ExperimentId);
            return new Page<Experiment>(page.Select(id => byId[id]).ToList(), token);
        }, ct);

    private static string ViewTypeClause(string column, ViewType viewType) => viewType switch
    {
        ViewType.DeletedOnly => $"{column} = 'deleted'",
        ViewType.All => "1 = 1",
        _ => $"{column} = 'active'",
    };

    private string RunFilter(DbCommand command, Comparison clause, ref int n)
    {
        var p = $"@f{n++}";
        switch (clause.Kind)
        {
            case EntityKind.Metric:
                {
                    var key = Bind(command, p + "k", clause.Key);
                    var exists = $"SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = {key}";
                    return clause.Op switch
                    {
                        Comparator.IsNull => $"NOT EXISTS ({exists})",
                        Comparator.IsNotNull => $"EXISTS ({exists})",
                        // NaN compares unequal to everything, so it matches != and nothing else.
                        Comparator.NotEqual => $"EXISTS ({exists} AND (m.is_nan = 1 OR m.value <> {Bind(command, p, clause.Value)}))",
                        _ => $"EXISTS ({exists} AND m.is_nan = 0 AND m.value {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)})",
                    };
                }

            case EntityKind.Param or EntityKind.Tag:
                return KeyValueFilter(command, clause, p, clause.Kind == EntityKind.Param ? "params" : "tags", "x.run_uuid = r.run_uuid");

            case EntityKind.Dataset:
                {
                    var column = clause.Key switch
                    {
                        "name" => "d.name",
                        "digest" => "d.digest",
                        _ => "ctx.value",
                    };
                    var context = clause.Key == "context"
                        ? $" JOIN input_tags ctx ON ctx.input_uuid = i.input_uuid AND ctx.name = '{ReservedTags.DataContext}'"
                        : string.Empty;
                    return $"""
                    EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id{context}
                            WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid AND {StringCondition(command, column, clause, p)})
                    """;
                }

            default:
                {
                    var column = RunColumn(clause.Key);
                    return clause.Op switch
                    {
                        Comparator.IsNull => $"{column} IS NULL",
                        Comparator.IsNotNull => $"{column} IS NOT NULL",
                        _ when clause.Value is double => $"{column} {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}",
                        _ => StringCondition(command, column, clause, p),
                    };
                }
        }
    }

    private string ExperimentFilter(DbCommand command, Comparison clause, ref int n)
    {
        var p = $"@f{n++}";
        if (clause.Kind == EntityKind.Tag)
        {
            return KeyValueFilter(command, clause, p, "experiment_tags", "x.experiment_id = e.experiment_id");
        }

        var column = ExperimentColumn(clause.Key);
        return clause.Value is double
            ? $"{column} {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}"
            : StringCondition(command, column, clause, p);
    }

    /// <summary>A clause on a key-value child table (params, tags): matched by join, so an entity without the key never matches a comparison (reference §5.1).</summary>
    private string KeyValueFilter(DbCommand command, Comparison clause, string p, string table, string owner)
    {
        var exists = $"SELECT 1 FROM {table} x WHERE {owner} AND x.key = {Bind(command, p + "k", clause.Key)}";
        return clause.Op switch
        {
            Comparator.IsNull => $"NOT EXISTS ({exists})",
            Comparator.IsNotNull => $"EXISTS ({exists})",
            _ => $"EXISTS ({exists} AND {StringCondition(command, "x.value", clause, p)})",
        };
    }

    private string StringCondition(DbCommand command, string column, Comparison clause, string p) => clause.Op switch
    {
        Comparator.Like => Dialect.Like(column, Bind(command, p, Dialect.LikePattern((string)clause.Value!))),
        Comparator.ILike => Dialect.ILike(column, Bind(command, p, clause.Value)),
        Comparator.In => clause.Value is IReadOnlyList<string> { Count: > 0 } list ? $"{column} IN ({command.AddList(p[1..] + "_", list)})" : "1 = 0",
        Comparator.NotIn => clause.Value is IReadOnlyList<string> { Count: > 0 } list ? $"{column} NOT IN ({command.AddList(p[1..] + "_", list)})" : "1 = 1",
        Comparator.IsNull => $"{column} IS NULL",
        Comparator.IsNotNull => $"{column} IS NOT NULL",
        _ => $"{column} {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}",
    };

    private static string Bind(DbCommand command, string name, object? value)
    {
        // Integral doubles bind as integers so they compare exactly with BIGINT columns.
        command.Add(name, value is double d && d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (object)(long)d : value);
        return name;
    }

    private static string SqlOperator(Comparator op) => op switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "<>",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        _ => throw KeelException.Invalid($"Comparator {op} is not valid here."),
    };

    private static string RunColumn(string key) => key switch
    {
        "run_id" => "r.run_uuid",
        "run_name" => "r.name",
        "status" => "r.status",
        "user_id" => "r.user_id",
        "artifact_uri" => "r.artifact_uri",
        "start_time" => "r.start_time",
        "end_time" => "r.end_time",
        "lifecycle_stage" => "r.lifecycle_stage",
        _ => throw KeelException.Invalid($"Invalid attribute key '{key}' specified."),
    };

    private static string ExperimentColumn(string key) => key switch
    {
        "name" => "e.name",
        "experiment_id" => "e.experiment_id",
        "creation_time" => "e.creation_time",
        "last_update_time" => "e.last_update_time",
        _ => throw KeelException.Invalid($"Invalid attribute key '{key}' specified."),
    };

    private IEnumerable<SortComponent> RunSort(DbCommand command, StringBuilder joins, OrderBy order, ref int n)
    {
        var alias = $"o{n++}";
        switch (order.Kind)
        {
            case EntityKind.Metric:
                joins.Append($" LEFT JOIN latest_metrics {alias} ON {alias}.run_uuid = r.run_uuid AND {alias}.key = {Bind(command, "@" + alias, order.Key)}");
                // Missing values last in both directions, NaN after real numbers (reference §5.2).
                return
                [
                    new SortComponent($"CASE WHEN {alias}.run_uuid IS NULL THEN 1 ELSE 0 END", true, SortKind.Integer),
                    new SortComponent($"COALESCE({alias}.is_nan, 0)", true, SortKind.Integer),
                    new SortComponent($"{alias}.value", order.Ascending, SortKind.Real),
                ];
            case EntityKind.Param or EntityKind.Tag:
                joins.Append($" LEFT JOIN {(order.Kind == EntityKind.Param ? "params" : "tags")} {alias} ON {alias}.run_uuid = r.run_uuid AND {alias}.key = {Bind(command, "@" + alias, order.Key)}");
                return AttributeSort($"{alias}.value", order.Ascending, SortKind.Text);
            default:
                var column = RunColumn(order.Key);
                return AttributeSort(column, order.Ascending, column is "r.start_time" or "r.end_time" ? SortKind.Integer : SortKind.Text);
        }
    }

    private static SortComponent[] AttributeSort(string column, bool ascending, SortKind kind) =>
    [
        new SortComponent($"CASE WHEN {column} IS NULL THEN 1 ELSE 0 END", true, SortKind.Integer),
        new SortComponent(column, ascending, kind),
    ];

    /// <summary>
    /// Keyset pagination: the token holds the sort values of the last row returned, and the next
    /// page starts strictly after them, so rows inserted meanwhile neither repeat nor shift a page.
    /// </summary>
    private static async Task<KeysetPage<T>> PageAsync<T>(
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

    private enum SortKind
    {
        Integer,
        Real,
        Text,
    }

    private sealed record SortComponent(string Expression, bool Ascending, SortKind Kind);

    private sealed record KeysetPage<T>(List<T> Items, List<object?[]> Keys, int Limit)
    {
        public string? NextPageToken => Items.Count == Limit && Items.Count > 0 ? TokenAfter(Items.Count - 1) : null;

        public string TokenAfter(int index) => PageTokens.Encode(Keys[index]);
    }
}
