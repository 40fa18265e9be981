using System.Data.Common;
using System.Text.Json;
using Keel.Core.Deployments;

namespace Keel.Storage.Sql.Deployments;

/// <summary>
/// <see cref="IDeploymentStore"/> over SQL, on the tracking store's executor. Updates are
/// compare-and-set on the revision number, so two writers never both win.
/// </summary>
internal sealed class SqlDeploymentStore(SqlExecutor executor) : IDeploymentStore
{
    private const string Columns = "name, description, revision, spec, rollout, creation_time, last_updated_time";

    public Task<bool> CreateAsync(Deployment deployment, DeploymentRevision revision, CancellationToken ct) =>
        executor.Dialect.UniqueAsync(() => executor.WriteAsync(async (c, tx) =>
        {
            await using (var insert = c.Command(
                $"INSERT INTO deployments ({Columns}) VALUES (@n, @d, @r, @s, @ro, @t, @t)", tx)
                .With("@n", deployment.Name).With("@d", deployment.Description).With("@r", deployment.Revision)
                .With("@s", DeploymentJson.SpecToString(deployment.Spec))
                .With("@ro", deployment.Rollout is null ? null : DeploymentJson.RolloutStateToString(deployment.Rollout))
                .With("@t", deployment.CreationTime))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }

            await InsertRevisionAsync(c, tx, revision, ct);
            return true;
        }, ct), () => new Core.Errors.KeelException(Core.Errors.ErrorCode.RESOURCE_ALREADY_EXISTS, $"Deployment '{deployment.Name}' already exists."));

    public Task<Deployment?> GetAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command($"SELECT {Columns} FROM deployments WHERE name = @n").With("@n", name);
            return (await ReadDeploymentsAsync(command, ct)).FirstOrDefault();
        }, ct);

    public Task<IReadOnlyList<Deployment>> ListAsync(CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<Deployment>>(async c =>
        {
            await using var command = c.Command($"SELECT {Columns} FROM deployments ORDER BY name");
            return await ReadDeploymentsAsync(command, ct);
        }, ct);

    public Task<bool> UpdateAsync(Deployment deployment, long expectedRevision, DeploymentRevision? revision, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var update = c.Command(
                "UPDATE deployments SET description = @d, revision = @r, spec = @s, rollout = @ro, last_updated_time = @t WHERE name = @n AND revision = @expected", tx)
                .With("@n", deployment.Name).With("@d", deployment.Description).With("@r", deployment.Revision)
                .With("@s", DeploymentJson.SpecToString(deployment.Spec))
                .With("@ro", deployment.Rollout is null ? null : DeploymentJson.RolloutStateToString(deployment.Rollout))
                .With("@t", deployment.LastUpdatedTime).With("@expected", expectedRevision))
            {
                if (await update.ExecuteNonQueryAsync(ct) == 0)
                {
                    return false;
                }
            }

            if (revision is not null)
            {
                await InsertRevisionAsync(c, tx, revision, ct);
            }

            return true;
        }, ct);

    public Task<DeploymentRevision?> GetRevisionAsync(string name, long revision, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command(
                "SELECT name, revision, spec, kind, message, user_id, time, versions FROM deployment_revisions WHERE name = @n AND revision = @r")
                .With("@n", name).With("@r", revision);
            return (await ReadRevisionsAsync(command, ct)).FirstOrDefault();
        }, ct);

    public Task AddEventAsync(DeploymentEvent deploymentEvent, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var insert = c.Command(
                "INSERT INTO deployment_events (name, time, revision, kind, message) VALUES (@n, @t, @r, @k, @m)", tx)
                .With("@n", deploymentEvent.Name).With("@t", deploymentEvent.Time).With("@r", deploymentEvent.Revision)
                .With("@k", deploymentEvent.Kind).With("@m", deploymentEvent.Message);
            return await insert.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<DeploymentHistory> GetHistoryAsync(string name, int limit, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            IReadOnlyList<DeploymentRevision> revisions;
            await using (var command = c.Command(
                "SELECT name, revision, spec, kind, message, user_id, time, versions FROM deployment_revisions WHERE name = @n ORDER BY revision DESC LIMIT @l")
                .With("@n", name).With("@l", limit))
            {
                revisions = await ReadRevisionsAsync(command, ct);
            }

            var events = new List<DeploymentEvent>();
            await using (var command = c.Command(
                "SELECT name, time, revision, kind, message FROM deployment_events WHERE name = @n ORDER BY id DESC LIMIT @l")
                .With("@n", name).With("@l", limit))
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    events.Add(new DeploymentEvent(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4)));
                }
            }

            return new DeploymentHistory(revisions, events);
        }, ct);

    public Task<bool> DeleteAsync(string name, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            foreach (var table in new[] { "deployment_revisions", "deployment_events" })
            {
                await using var delete = c.Command($"DELETE FROM {table} WHERE name = @n", tx).With("@n", name);
                await delete.ExecuteNonQueryAsync(ct);
            }

            await using var command = c.Command("DELETE FROM deployments WHERE name = @n", tx).With("@n", name);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    private static async Task InsertRevisionAsync(DbConnection c, DbTransaction tx, DeploymentRevision revision, CancellationToken ct)
    {
        await using var insert = c.Command(
            "INSERT INTO deployment_revisions (name, revision, spec, kind, message, user_id, time, versions) VALUES (@n, @r, @s, @k, @m, @u, @t, @v)", tx)
            .With("@n", revision.Name).With("@r", revision.Revision).With("@s", DeploymentJson.SpecToString(revision.Spec))
            .With("@k", revision.Kind).With("@m", revision.Message).With("@u", revision.User).With("@t", revision.Time)
            .With("@v", JsonSerializer.Serialize(revision.Versions));
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<Deployment>> ReadDeploymentsAsync(DbCommand command, CancellationToken ct)
    {
        var list = new List<Deployment>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new Deployment(
                reader.GetString(0), reader.NullableString(1), reader.GetInt64(2),
                DeploymentJson.SpecFromString(reader.GetString(3)),
                reader.NullableString(4) is { } rollout ? DeploymentJson.RolloutStateFromString(rollout) : null,
                reader.GetInt64(5), reader.GetInt64(6)));
        }

        return list;
    }

    private static async Task<IReadOnlyList<DeploymentRevision>> ReadRevisionsAsync(DbCommand command, CancellationToken ct)
    {
        var list = new List<DeploymentRevision>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new DeploymentRevision(
                reader.GetString(0), reader.GetInt64(1), DeploymentJson.SpecFromString(reader.GetString(2)), reader.GetString(3),
                reader.NullableString(4), reader.NullableString(5), reader.GetInt64(6),
                JsonSerializer.Deserialize<string[]>(reader.GetString(7)) ?? []));
        }

        return list;
    }
}
