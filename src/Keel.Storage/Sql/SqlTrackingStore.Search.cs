using System.Data.Common;
using System.Text;
using Keel.Core.Errors;
using Keel.Core.Search;
using Keel.Core.Tracking;
using static Keel.Storage.Sql.SqlQuery;

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
                return KeyValueFilter(Dialect, command, clause, p, clause.Kind == EntityKind.Param ? "params" : "tags", "x.run_uuid = r.run_uuid");

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
                            WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid AND {StringCondition(Dialect, command, column, clause, p)})
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
                        _ => StringCondition(Dialect, command, column, clause, p),
                    };
                }
        }
    }

    private string ExperimentFilter(DbCommand command, Comparison clause, ref int n)
    {
        var p = $"@f{n++}";
        if (clause.Kind == EntityKind.Tag)
        {
            return KeyValueFilter(Dialect, command, clause, p, "experiment_tags", "x.experiment_id = e.experiment_id");
        }

        var column = ExperimentColumn(clause.Key);
        return clause.Value is double
            ? $"{column} {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}"
            : StringCondition(Dialect, command, column, clause, p);
    }

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
}
