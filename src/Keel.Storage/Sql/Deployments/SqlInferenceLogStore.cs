using System.Data.Common;
using Keel.Core.Inference;

namespace Keel.Storage.Sql.Deployments;

/// <summary>
/// <see cref="IInferenceLogStore"/> over SQL, as segments (<see cref="InferenceSegment"/>): an
/// append writes one `inference_segments` row per group of records that share deployment, model
/// version, route and role, plus the live records' request ids in `inference_requests` (what
/// feedback joins on), in one transaction. Reads select the segments whose time span meets the
/// window by (deployment, last_time) and filter their records.
/// </summary>
internal sealed class SqlInferenceLogStore(SqlExecutor executor) : IInferenceLogStore
{
    private const string HeaderColumns = "id, deployment, model_name, model_version, route, shadow, first_time, last_time, record_count";

    public Task AppendAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Encoded before the write transaction: the single writer holds it for the inserts only.
        var segments = InferenceSegment.Group(records)
            .Select(s => (s.Header, Records: InferenceSegment.Encode(s.Records),
                RequestIds: s.Header.Shadow ? [] : s.Records.Select(r => r.RequestId).Distinct(StringComparer.Ordinal).ToList()))
            .ToList();
        return executor.WriteAsync(async (c, tx) =>
        {
            foreach (var (header, json, requestIds) in segments)
            {
                await executor.Dialect.InsertInferenceSegmentAsync(c, tx, header, json, requestIds, ct);
            }

            return 0;
        }, ct);
    }

    public Task<IReadOnlyList<InferenceRecord>> QueryAsync(InferenceQuery query, CancellationToken ct) =>
        executor.ReadAsync<IReadOnlyList<InferenceRecord>>(async c =>
        {
            var limit = Math.Clamp(query.Limit, 1, 1_000_000);
            var stride = Math.Max(query.Stride, 1);
            // The newest `limit` records: a min-heap on (time, segment, position); segments come
            // newest last_time first, so once the heap is full and a segment ends before its
            // oldest record, no later segment can hold a newer one.
            var newest = new PriorityQueue<InferenceRecord, (long Time, long Segment, int Position)>();
            long seen = 0;
            await using var command = Select(c, query, "records", " ORDER BY last_time DESC, id DESC");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (id, header) = Header(reader);
                if (newest.Count >= limit && newest.TryPeek(out _, out var oldest) && header.LastTime < oldest.Time)
                {
                    break;
                }

                // Records outside the window or between stride samples are skipped unread.
                var records = InferenceSegment.Decode(header, reader.GetFieldValue<byte[]>(9), query.Payloads,
                    time => InWindow(query, time) && seen++ % stride == 0);
                for (var i = 0; i < records.Count; i++)
                {
                    var r = records[i];
                    var key = (r.Time, id, i);
                    if (newest.Count < limit)
                    {
                        newest.Enqueue(r, key);
                    }
                    else if (newest.TryPeek(out _, out var min) && key.CompareTo(min) > 0)
                    {
                        newest.EnqueueDequeue(r, key);
                    }
                }
            }

            var result = new InferenceRecord[newest.Count];
            for (var i = result.Length - 1; i >= 0; i--)
            {
                result[i] = newest.Dequeue();
            }

            return result;
        }, ct);

    public Task<long> CountAsync(InferenceQuery query, CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            // Segments wholly inside the window count by their header; only those across an
            // edge of it are read.
            long count = 0;
            await using var command = Select(c, query, "CASE WHEN " + Inside(query) + " THEN NULL ELSE records END", string.Empty);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (_, header) = Header(reader);
                if (reader.IsDBNull(9))
                {
                    count += header.Count;
                    continue;
                }

                // Counted as they are read; none is kept.
                InferenceSegment.Decode(header, reader.GetFieldValue<byte[]>(9), payloads: false, time =>
                {
                    count += InWindow(query, time) ? 1 : 0;
                    return false;
                });
            }

            return count;
        }, ct);

    public Task<IReadOnlyList<string>> ListDeploymentsAsync(CancellationToken ct) =>
        executor.ReadAsync(async c =>
        {
            await using var command = c.Command("SELECT DISTINCT deployment FROM inference_segments ORDER BY deployment");
            return await command.ReadStringsAsync(ct);
        }, ct);

    public Task<long> PurgeAsync(string deployment, long before, CancellationToken ct) =>
        executor.WriteAsync(async (c, tx) =>
        {
            var touched = new List<(long Id, InferenceSegmentHeader Header, byte[] Records)>();
            await using (var select = c.Command($"SELECT {HeaderColumns}, records FROM inference_segments WHERE deployment = @d AND first_time < @before", tx)
                .With("@d", deployment).With("@before", before))
            {
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var (id, header) = Header(reader);
                    touched.Add((id, header, reader.GetFieldValue<byte[]>(9)));
                }
            }

            long removed = 0;
            foreach (var (id, header, json) in touched)
            {
                // A segment wholly before the cut is deleted: only its request ids are read.
                var records = InferenceSegment.Decode(header, json, payloads: header.LastTime >= before);
                var kept = records.Where(r => r.Time >= before).ToList();
                removed += records.Count - kept.Count;
                if (!header.Shadow)
                {
                    var keptIds = kept.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
                    foreach (var part in records.Select(r => r.RequestId).Where(r => !keptIds.Contains(r)).Distinct(StringComparer.Ordinal).Chunk(500))
                    {
                        await using var unindex = c.Command(string.Empty, tx).With("@s", id);
                        unindex.CommandText = $"DELETE FROM inference_requests WHERE segment = @s AND request_id IN ({unindex.AddList("r", part)})";
                        await unindex.ExecuteNonQueryAsync(ct);
                    }
                }

                await using var write = kept.Count == 0
                    ? c.Command("DELETE FROM inference_segments WHERE id = @id", tx).With("@id", id)
                    : c.Command("UPDATE inference_segments SET first_time = @first, record_count = @n, records = @records WHERE id = @id", tx)
                        .With("@first", kept.Min(r => r.Time)).With("@n", kept.Count).With("@records", InferenceSegment.Encode(kept)).With("@id", id);
                await write.ExecuteNonQueryAsync(ct);
            }

            return removed;
        }, ct);

    private static DbCommand Select(DbConnection c, InferenceQuery query, string records, string order)
    {
        var command = c.Command(string.Empty).With("@d", query.Deployment);
        var sql = $"SELECT {HeaderColumns}, {records} FROM inference_segments WHERE deployment = @d";
        if (query.Since is { } since)
        {
            sql += " AND last_time >= @since";
            command.Add("@since", since);
        }

        if (query.Until is { } until)
        {
            sql += " AND first_time < @until";
            command.Add("@until", until);
        }

        if (query.Route is { } route)
        {
            sql += " AND route = @route";
            command.Add("@route", route);
        }

        if (query.Shadow is { } shadow)
        {
            sql += " AND shadow = @shadow";
            command.Add("@shadow", shadow ? 1 : 0);
        }

        command.CommandText = sql + order;
        return command;
    }

    /// <summary>SQL: the segment lies wholly inside the query's window.</summary>
    private static string Inside(InferenceQuery query) =>
        (query.Since is null ? "1 = 1" : "first_time >= @since") + (query.Until is null ? string.Empty : " AND last_time < @until");

    private static bool InWindow(InferenceQuery query, long time) =>
        (query.Since is not { } since || time >= since) && (query.Until is not { } until || time < until);

    private static (long Id, InferenceSegmentHeader Header) Header(DbDataReader reader) =>
        (reader.GetInt64(0), new InferenceSegmentHeader(
            reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            Convert.ToInt64(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture) != 0,
            reader.GetInt64(6), reader.GetInt64(7),
            Convert.ToInt32(reader.GetValue(8), System.Globalization.CultureInfo.InvariantCulture)));
}
