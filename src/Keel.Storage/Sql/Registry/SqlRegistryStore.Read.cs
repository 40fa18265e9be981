using System.Data.Common;
using Keel.Core.Registry;
using Keel.Core.Tracking;

namespace Keel.Storage.Sql.Registry;

internal sealed partial class SqlRegistryStore
{
    private const string VersionColumns =
        "v.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.current_stage, v.source, v.run_id, v.status, v.status_message, v.run_link";

    /// <summary>Rows per statement when a list of (name, version) pairs is bound.</summary>
    private const int PairsPerStatement = 300;

    /// <summary>Version rows whose tags and aliases are still to be attached.</summary>
    private sealed record VersionRow(
        string Name, long Version, long CreationTime, long LastUpdatedTime, string? Description, string? UserId, string Stage,
        string Source, string? RunId, string Status, string? StatusMessage, string? RunLink)
    {
        public ModelVersion With(IReadOnlyList<KeyValue> tags, IReadOnlyList<string> aliases) =>
            new(Name, Version, CreationTime, LastUpdatedTime, Description, UserId, Stage, Source, RunId, Status, StatusMessage, tags, RunLink, aliases);
    }

    private static VersionRow ReadVersion(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.NullableString(4), r.NullableString(5), r.GetString(6),
        r.GetString(7), r.NullableString(8), r.GetString(9), r.NullableString(10), r.NullableString(11));

    /// <summary>Live versions by (name, version), in the order asked, with tags and aliases.</summary>
    private static async Task<List<ModelVersion>> LoadVersionsAsync(
        DbConnection c, DbTransaction? tx, IReadOnlyList<(string Name, long Version)> keys, CancellationToken ct)
    {
        var rows = new Dictionary<(string, long), VersionRow>();
        foreach (var chunk in keys.Chunk(PairsPerStatement))
        {
            await using var command = c.Command(string.Empty, tx);
            command.CommandText = $"SELECT {VersionColumns} FROM model_versions v WHERE v.current_stage <> '{Deleted}' AND ({Pairs(command, chunk, "v.")})";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = ReadVersion(reader);
                rows[(row.Name, row.Version)] = row;
            }
        }

        return await AttachAsync(c, tx, keys.Where(rows.ContainsKey).Select(k => rows[k]).ToList(), ct);
    }

    /// <summary>Adds tags and aliases to version rows, keeping their order.</summary>
    private static async Task<List<ModelVersion>> AttachAsync(
        DbConnection c, DbTransaction? tx, IReadOnlyList<VersionRow> rows, CancellationToken ct,
        Dictionary<string, List<RegisteredModelAlias>>? knownAliases = null)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var tags = new Dictionary<(string, long), List<KeyValue>>();
        var wanted = rows.Select(r => (r.Name, r.Version)).ToHashSet();
        var names = rows.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
        // Few rows: fetch their tags by key. Many rows (a large page): fetch by model and drop the rest.
        var byPairs = rows.Count <= PairsPerStatement * 2;
        foreach (var chunk in byPairs ? rows.Select(r => (r.Name, r.Version)).Chunk(PairsPerStatement).Select(p => (object)p)
                     : names.Chunk(500).Select(n => (object)n))
        {
            await using var command = c.Command(string.Empty, tx);
            var where = chunk is (string, long)[] pairs ? Pairs(command, pairs, string.Empty) : $"name IN ({command.AddList("n", (string[])chunk)})";
            command.CommandText = $"SELECT name, version, key, value FROM model_version_tags WHERE {where} ORDER BY name, version, key";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), reader.GetInt64(1));
                if (wanted.Contains(key))
                {
                    (tags.TryGetValue(key, out var list) ? list : tags[key] = []).Add(new KeyValue(reader.GetString(2), reader.GetString(3)));
                }
            }
        }

        var aliases = knownAliases ?? await LoadAliasesAsync(c, tx, names, ct);
        return rows.Select(r => r.With(
            tags.TryGetValue((r.Name, r.Version), out var t) ? t : [],
            aliases.TryGetValue(r.Name, out var a) ? a.Where(x => x.Version == r.Version).Select(x => x.Alias).ToList() : [])).ToList();
    }

    private static async Task<Dictionary<string, List<RegisteredModelAlias>>> LoadAliasesAsync(
        DbConnection c, DbTransaction? tx, IReadOnlyList<string> names, CancellationToken ct)
    {
        var aliases = new Dictionary<string, List<RegisteredModelAlias>>(StringComparer.Ordinal);
        foreach (var chunk in names.Chunk(500))
        {
            await using var command = c.Command(string.Empty, tx);
            command.CommandText = $"SELECT name, alias, version FROM registered_model_aliases WHERE name IN ({command.AddList("n", chunk)}) ORDER BY name, alias";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                (aliases.TryGetValue(name, out var list) ? list : aliases[name] = []).Add(new RegisteredModelAlias(reader.GetString(1), reader.GetInt64(2)));
            }
        }

        return aliases;
    }

    /// <summary>
    /// Per model, the highest live version of each stage, in the order MLflow lists them: stages by
    /// their lowest version number (MLflow walks the versions in order and keeps each stage's first slot).
    /// </summary>
    private static async Task<Dictionary<string, List<ModelVersion>>> LoadLatestVersionsAsync(
        DbConnection c, DbTransaction? tx, IReadOnlyList<string> names, CancellationToken ct,
        Dictionary<string, List<RegisteredModelAlias>>? knownAliases = null)
    {
        var rows = new List<VersionRow>();
        foreach (var chunk in names.Chunk(500))
        {
            await using var command = c.Command(string.Empty, tx);
            // One pass over the models' live versions: window functions pick each stage's highest
            // version and its lowest (the order key), instead of two lookups per version.
            command.CommandText = $"""
                SELECT {VersionColumns.Replace("v.", "w.", StringComparison.Ordinal)}
                FROM (SELECT v.*,
                             ROW_NUMBER() OVER (PARTITION BY v.name, v.current_stage ORDER BY v.version DESC) AS rank_in_stage,
                             MIN(v.version) OVER (PARTITION BY v.name, v.current_stage) AS first_seen
                      FROM model_versions v
                      WHERE v.name IN ({command.AddList("n", chunk)}) AND v.current_stage <> '{Deleted}') w
                WHERE w.rank_in_stage = 1
                ORDER BY w.name, w.first_seen
                """;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add(ReadVersion(reader));
            }
        }

        var versions = await AttachAsync(c, tx, rows, ct, knownAliases);
        var byName = new Dictionary<string, List<ModelVersion>>(StringComparer.Ordinal);
        foreach (var v in versions)
        {
            (byName.TryGetValue(v.Name, out var list) ? list : byName[v.Name] = []).Add(v);
        }

        return byName;
    }

    /// <summary>Registered models by name, in the order asked, complete with latest versions, tags and aliases.</summary>
    private static async Task<List<RegisteredModel>> LoadModelsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<string> names, CancellationToken ct)
    {
        if (names.Count == 0)
        {
            return [];
        }

        var models = new Dictionary<string, (long Created, long Updated, string? Description)>(StringComparer.Ordinal);
        var tags = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        foreach (var chunk in names.Chunk(500))
        {
            await using var command = c.Command(string.Empty, tx);
            var list = command.AddList("n", chunk);
            command.CommandText =
                $"SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE name IN ({list});" +
                $"SELECT name, key, value FROM registered_model_tags WHERE name IN ({list}) ORDER BY name, key";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                models[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.NullableString(3));
            }

            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                (tags.TryGetValue(name, out var l) ? l : tags[name] = []).Add(new KeyValue(reader.GetString(1), reader.GetString(2)));
            }
        }

        var found = names.Where(models.ContainsKey).ToList();
        var aliases = await LoadAliasesAsync(c, tx, found, ct);
        var latest = await LoadLatestVersionsAsync(c, tx, found, ct, aliases);
        return found.Select(n => new RegisteredModel(
            n,
            models[n].Created,
            models[n].Updated,
            models[n].Description,
            latest.TryGetValue(n, out var l) ? l : [],
            tags.TryGetValue(n, out var t) ? t : [],
            aliases.TryGetValue(n, out var a) ? a : [])).ToList();
    }

    /// <summary>`(name = @a AND version = @b) OR …` for a chunk of pairs.</summary>
    private static string Pairs(DbCommand command, IReadOnlyList<(string Name, long Version)> pairs, string alias)
    {
        var parts = new string[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            parts[i] = $"({alias}name = @pn{i} AND {alias}version = @pv{i})";
            command.Add($"@pn{i}", pairs[i].Name);
            command.Add($"@pv{i}", pairs[i].Version);
        }

        return string.Join(" OR ", parts);
    }
}
