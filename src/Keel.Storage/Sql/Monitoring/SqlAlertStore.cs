using System.Data.Common;
using Keel.Core.Errors;
using Keel.Core.Monitoring;

namespace Keel.Storage.Sql.Monitoring;

/// <summary><see cref="IAlertStore"/> over SQL: a rule's state and the event its transition raised are written in one transaction.</summary>
internal sealed class SqlAlertStore(SqlExecutor executor) : IAlertStore
{
    private const string RuleColumns = "name, spec, state, state_since, last_value, last_evaluated, creation_time, last_updated_time";
    private const string EventColumns = "id, rule, kind, time, value, severity, message, action";

    public Task CreateRuleAsync(AlertRuleRecord rule, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                $"INSERT INTO alert_rules ({RuleColumns}) VALUES (@n, @s, @st, NULL, NULL, NULL, @c, @u) ON CONFLICT (name) DO NOTHING", tx)
                .With("@n", rule.Name).With("@s", rule.SpecJson).With("@st", rule.State).With("@c", rule.CreationTime).With("@u", rule.LastUpdatedTime);
            if (await command.ExecuteNonQueryAsync(ct) == 0)
            {
                throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Alert rule '{rule.Name}' already exists.");
            }

            return 0;
        }, ct);

    public Task<bool> UpdateRuleSpecAsync(string name, string specJson, long now, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("UPDATE alert_rules SET spec = @s, last_updated_time = @u WHERE name = @n", tx)
                .With("@n", name).With("@s", specJson).With("@u", now);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<AlertRuleRecord?> GetRuleAsync(string name, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command($"SELECT {RuleColumns} FROM alert_rules WHERE name = @n").With("@n", name);
            return (await ReadRulesAsync(command, ct)).FirstOrDefault();
        }, ct);

    public Task<IReadOnlyList<AlertRuleRecord>> ListRulesAsync(CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command($"SELECT {RuleColumns} FROM alert_rules ORDER BY name");
            return await ReadRulesAsync(command, ct);
        }, ct);

    public Task<bool> DeleteRuleAsync(string name, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command("DELETE FROM alert_rules WHERE name = @n", tx).With("@n", name);
            return await command.ExecuteNonQueryAsync(ct) > 0;
        }, ct);

    public Task<long?> SaveEvaluationAsync(string name, long? previousEvaluation, string state, long? stateSince, double? value, long evaluated, AlertEvent? raised, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using (var update = c.Command(
                "UPDATE alert_rules SET state = @st, state_since = @since, last_value = @v, last_evaluated = @e WHERE name = @n AND COALESCE(last_evaluated, -1) = @prev", tx)
                .With("@n", name).With("@st", state).With("@since", stateSince).With("@v", value is { } v && double.IsFinite(v) ? v : null).With("@e", evaluated)
                .With("@prev", previousEvaluation ?? -1))
            {
                if (await update.ExecuteNonQueryAsync(ct) == 0)
                {
                    return (long?)null; // evaluated by another replica meanwhile (or deleted)
                }
            }

            if (raised is null)
            {
                return (long?)null;
            }

            await using var insert = c.Command(
                "INSERT INTO alert_events (rule, kind, time, value, severity, message, action) VALUES (@r, @k, @t, @v, @s, @m, @a) RETURNING id", tx)
                .With("@r", raised.Rule).With("@k", raised.Kind).With("@t", raised.Time).With("@v", raised.Value is { } x && double.IsFinite(x) ? x : null)
                .With("@s", raised.Severity).With("@m", raised.Message).With("@a", raised.Action);
            return Convert.ToInt64(await insert.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    public Task<IReadOnlyList<AlertEvent>> ListEventsAsync(string? rule, long? since, int limit, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<AlertEvent>>(async c =>
        {
            await using var command = c.Command(string.Empty).With("@limit", Math.Clamp(limit, 1, 10_000));
            var sql = $"SELECT {EventColumns} FROM alert_events WHERE 1 = 1";
            if (rule is not null)
            {
                sql += " AND rule = @r";
                command.Add("@r", rule);
            }

            if (since is { } s)
            {
                sql += " AND time >= @since";
                command.Add("@since", s);
            }

            command.CommandText = sql + " ORDER BY id DESC LIMIT @limit";
            var events = new List<AlertEvent>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                events.Add(new AlertEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetDouble(4), reader.GetString(5), reader.GetString(6), reader.NullableString(7)));
            }

            return events;
        }, ct);

    public Task AddDeliveryAsync(AlertDelivery delivery, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            await using var command = c.Command(
                "INSERT INTO alert_deliveries (event_id, url, status, attempts, http_status, error, time) VALUES (@e, @u, @s, @a, @h, @err, @t)", tx)
                .With("@e", delivery.EventId).With("@u", delivery.Url).With("@s", delivery.Status).With("@a", delivery.Attempts)
                .With("@h", delivery.HttpStatus).With("@err", delivery.Error).With("@t", delivery.Time);
            return await command.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<IReadOnlyList<AlertDelivery>> ListDeliveriesAsync(long eventId, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<AlertDelivery>>(async c =>
        {
            await using var command = c.Command("SELECT event_id, url, status, attempts, http_status, error, time FROM alert_deliveries WHERE event_id = @e ORDER BY id")
                .With("@e", eventId);
            var deliveries = new List<AlertDelivery>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                deliveries.Add(new AlertDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                    Convert.ToInt32(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
                    reader.IsDBNull(4) ? null : Convert.ToInt32(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture),
                    reader.NullableString(5), reader.GetInt64(6)));
            }

            return deliveries;
        }, ct);

    private static async Task<IReadOnlyList<AlertRuleRecord>> ReadRulesAsync(DbCommand command, CancellationToken ct)
    {
        var rules = new List<AlertRuleRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rules.Add(new AlertRuleRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.NullableInt64(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4), reader.NullableInt64(5), reader.GetInt64(6), reader.GetInt64(7)));
        }

        return rules;
    }
}
