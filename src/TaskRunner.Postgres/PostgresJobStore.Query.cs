using System.Text;
using Npgsql;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>
/// Listing and counting with <see cref="JobQuery"/> filters. The statement names only the filters that are set (no
/// <c>$1 IS NULL OR col = $1</c>, which makes one generic plan that uses no index); values are always parameters. The
/// planner picks among the existing indexes with its statistics — no new ones, since each would cost every enqueue or
/// state change: <c>jobs_pkey</c> for id order and paging, <c>jobs_batch (batch_id, state)</c> for a batch,
/// <c>jobs_finished (state, finished_at)</c> for finished states and finished ranges, <c>jobs_claim</c> for a queue's pending
/// jobs, <c>jobs_due</c> and <c>jobs_lease</c> for scheduled/failed and running ones.
/// </summary>
internal sealed partial class PostgresJobStore
{
    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return _database.RunAsync((query, schema: _database.Sql.Schema), static async (connection, state, ct) =>
        {
            var (sql, parameters) = Filter("SELECT " + PostgresSql.RecordColumns, state.schema, state.query, paged: true);
            var command = Command(connection, sql, [.. parameters]);
            await using var commandScope = command.ConfigureAwait(false);
            var records = new List<JobRecord>(Math.Min(state.query.Limit, 256));
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(ReadRecord(reader));
            }

            return (IReadOnlyList<JobRecord>)records;
        }, cancellationToken);
    }

    public ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return _database.RunAsync((query, schema: _database.Sql.Schema), static (connection, state, ct) =>
        {
            var (sql, parameters) = Filter("SELECT state, count(*)", state.schema, state.query, paged: false);
            return ReadCountsAsync(Command(connection, sql + " GROUP BY state", [.. parameters]), ct);
        }, cancellationToken);
    }

    /// <summary>Runs a statement whose rows are (state, count) and disposes it: the counts by state.</summary>
    private static async Task<JobCounts> ReadCountsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var counts = new long[(int)JobState.Cancelled + 1];
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var jobState = reader.GetInt16(0);
            if ((uint)jobState < (uint)counts.Length)
            {
                counts[jobState] = reader.GetInt64(1);
            }
        }

        return JobCounts.FromCountsByState(counts);
    }

    /// <summary>The statement for the filters that are set and its parameters (<c>$1</c>, <c>$2</c>... in order). The schema
    /// is the validated identifier of <see cref="PostgresStoreOptions.Schema"/>, quoted as <see cref="PostgresSql"/> does.</summary>
    private static (string Sql, List<NpgsqlParameter> Parameters) Filter(string select, string schema, JobQuery query, bool paged)
    {
        var sql = new StringBuilder(select).Append(" FROM \"").Append(schema).Append("\".jobs");
        var parameters = new List<NpgsqlParameter>(12);
        void Where(string condition, NpgsqlParameter value)
        {
            parameters.Add(value);
            sql.Append(parameters.Count == 1 ? " WHERE " : " AND ")
                .Append(condition.Replace("$?", "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (paged && query.AfterId is { } after)
        {
            Where("id > $?", V.Long(after.Value));
        }

        if (query.State is { } state)
        {
            Where("state = $?", V.SmallInt((short)state));
        }

        if (query.Queue is { } queue)
        {
            Where("queue = $?", V.Text(queue));
        }

        if (query.JobName is { } name)
        {
            Where("name = $?", V.Text(name));
        }

        if (query.BatchId is { } batch)
        {
            Where("batch_id = $?", V.Uuid(batch.Value));
        }

        if (query.Tag is { } tag)
        {
            // Tags are a JSON array in text (PostgresValues.Tags); NULL when a job has none, which never contains a tag.
            Where("tags::jsonb @> jsonb_build_array($?::text)", V.Text(tag));
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            Where("created_at >= $?", V.Ticks(createdFrom));
        }

        if (query.CreatedBefore is { } createdBefore)
        {
            Where("created_at < $?", V.Ticks(createdBefore));
        }

        if (query.FinishedFrom is { } finishedFrom)
        {
            Where("finished_at >= $?", V.Ticks(finishedFrom));
        }

        if (query.FinishedBefore is { } finishedBefore)
        {
            Where("finished_at < $?", V.Ticks(finishedBefore));
        }

        if (paged)
        {
            parameters.Add(V.Int(query.Limit));
            sql.Append(" ORDER BY id LIMIT $").Append(parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return (sql.ToString(), parameters);
    }
}
