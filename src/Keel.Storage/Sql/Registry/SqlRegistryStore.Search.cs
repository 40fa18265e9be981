using System.Data.Common;
using Keel.Core.Registry;
using Keel.Core.Search;
using Keel.Core.Tracking;
using static Keel.Storage.Sql.SqlQuery;

namespace Keel.Storage.Sql.Registry;

internal sealed partial class SqlRegistryStore
{
    /// <summary>MLflow 3 keeps prompts as registered models with this tag; searches skip them unless asked (reference §3.3).</summary>
    private const string PromptTag = "mlflow.prompt.is_prompt";

    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegistryQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(string.Empty);
            var where = new List<string>();
            var n = 0;
            foreach (var clause in query.Filter)
            {
                var p = $"@f{n++}";
                where.Add(clause.Kind == EntityKind.Tag
                    ? TagFilter(command, clause, p, "registered_model_tags", "x.name = m.name")
                    : StringCondition(Dialect, command, "m.name", clause, p));
            }

            ExcludePrompts(query.Filter, where, "m.name");
            var sort = new List<SortComponent>();
            foreach (var order in query.OrderBy)
            {
                sort.Add(order.Key == "name"
                    ? new SortComponent("m.name", order.Ascending, SortKind.Text)
                    : new SortComponent("m.last_updated_time", order.Ascending, SortKind.Integer));
            }

            if (!query.OrderBy.Any(o => o.Key == "name"))
            {
                sort.Add(new SortComponent("m.name", true, SortKind.Text));
            }

            var names = await PageAsync(c, command, "SELECT m.name", "registered_models m", string.Empty, Where(where), sort, query.PageToken,
                query.MaxResults + 1, r => r.GetString(0), ct);
            var page = names.Items.Take(query.MaxResults).ToList();
            var token = names.Items.Count > query.MaxResults ? names.TokenAfter(query.MaxResults - 1) : null;
            return new Page<RegisteredModel>(await LoadModelsAsync(c, null, page, ct), token);
        }, ct);

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(RegistryQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(string.Empty);
            var where = new List<string> { $"v.current_stage <> '{Deleted}'" };
            var n = 0;
            foreach (var clause in query.Filter)
            {
                var p = $"@f{n++}";
                where.Add(clause.Kind == EntityKind.Tag
                    ? TagFilter(command, clause, p, "model_version_tags", "x.name = v.name AND x.version = v.version")
                    : clause.Value is double
                        ? $"v.version {SqlOperator(clause.Op)} {Bind(command, p, clause.Value)}"
                        : StringCondition(Dialect, command, VersionColumn(clause.Key), clause, p));
            }

            ExcludePrompts(query.Filter, where, "v.name");
            var sort = query.OrderBy.Select(o => new SortComponent(VersionColumn(o.Key), o.Ascending, o.Key == "name" ? SortKind.Text : SortKind.Integer)).ToList();
            if (query.OrderBy.Count == 0)
            {
                sort.Add(new SortComponent("v.last_updated_time", false, SortKind.Integer));
            }

            // Tie-breakers (reference §5.5): name ASC, then version DESC, unless already ordered by them.
            if (!query.OrderBy.Any(o => o.Key == "name"))
            {
                sort.Add(new SortComponent("v.name", true, SortKind.Text));
            }

            if (!query.OrderBy.Any(o => o.Key == "version_number"))
            {
                sort.Add(new SortComponent("v.version", false, SortKind.Integer));
            }

            var rows = await PageAsync(c, command, $"SELECT {VersionColumns}", "model_versions v", string.Empty, where, sort, query.PageToken,
                query.MaxResults + 1, ReadVersion, ct);
            var page = rows.Items.Take(query.MaxResults).ToList();
            var token = rows.Items.Count > query.MaxResults ? rows.TokenAfter(query.MaxResults - 1) : null;
            return new Page<ModelVersion>(await AttachAsync(c, null, page, ct), token);
        }, ct);

    private static List<string> Where(List<string> where)
    {
        if (where.Count == 0)
        {
            where.Add("1 = 1");
        }

        return where;
    }

    private static string VersionColumn(string key) => key switch
    {
        "name" => "v.name",
        "run_id" => "v.run_id",
        "source_path" => "v.source",
        "version_number" => "v.version",
        "creation_timestamp" => "v.creation_time",
        _ => "v.last_updated_time",
    };

    /// <summary>
    /// A tag clause. On the prompt tag, `= 'false'` and `!= 'true'` also match entities without the
    /// tag (reference §3.3), unlike every other key.
    /// </summary>
    private string TagFilter(DbCommand command, Comparison clause, string p, string table, string owner)
    {
        if (clause.Key == PromptTag && clause.Value is string value
            && ((clause.Op == Comparator.Equal && value == "false") || (clause.Op == Comparator.NotEqual && value == "true")))
        {
            return $"NOT EXISTS (SELECT 1 FROM {table} x WHERE {owner} AND x.key = '{PromptTag}' AND x.value = 'true')";
        }

        return KeyValueFilter(Dialect, command, clause, p, table, owner);
    }

    /// <summary>Unless the filter names the prompt tag, prompts (models tagged as such, and their versions) are left out.</summary>
    private static void ExcludePrompts(IReadOnlyList<Comparison> filter, List<string> where, string nameColumn)
    {
        if (!filter.Any(c => c.Kind == EntityKind.Tag && c.Key == PromptTag))
        {
            where.Add($"NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.name = {nameColumn} AND pt.key = '{PromptTag}' AND pt.value = 'true')");
        }
    }
}
