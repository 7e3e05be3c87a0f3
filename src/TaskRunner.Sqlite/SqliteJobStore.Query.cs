using System.Text;

namespace TaskRunner.Sqlite;

/// <summary>
/// Listing and counting with <see cref="JobQuery"/> filters. The statement names only the filters that are set (never
/// <c>@x IS NULL OR col = @x</c>, which hides every index from SQLite's planner); values are always parameters, and each
/// combination of filters is one cached prepared statement. No new indexes (each would cost every enqueue or state
/// change); measured plans (EXPLAIN QUERY PLAN on a store the QuickStart sample filled): a list walks the rowid from
/// <c>AfterId</c> in id order and stops at the page's end, whatever the filters — except a batch, read through
/// <c>jobs_batch (batch_id, state)</c> and sorted; a count of a batch reads <c>jobs_batch</c> alone, a count of a finished
/// state <c>jobs_finished (state, finished_at)</c>, of Scheduled or Failed <c>jobs_due</c>, of Running <c>jobs_lease</c>
/// (the state's partial-index term repeated, below); other counts scan the table. A list of a rare state in a large
/// table walks far: page by the newest ids or filter by a batch or finished range for those.
/// </summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return _database.ReadAsync(query, static (session, query) =>
        {
            var (sql, names, values) = Filter("SELECT " + SqliteJobRows.RecordColumns + " FROM jobs", query, paged: true);
            var command = session.Command(sql, names);
            for (var i = 0; i < values.Count; i++)
            {
                command.Set(i, values[i]);
            }

            var records = new List<JobRecord>(Math.Min(query.Limit, 256));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                records.Add(SqliteJobRows.ReadRecord(reader));
            }

            return (IReadOnlyList<JobRecord>)records;
        }, cancellationToken);
    }

    public ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return _database.ReadAsync(query, static (session, query) =>
        {
            var (sql, names, values) = Filter("SELECT state, count(*) FROM jobs", query, paged: false);
            var command = session.Command(sql + " GROUP BY state", names);
            for (var i = 0; i < values.Count; i++)
            {
                command.Set(i, values[i]);
            }

            return SqliteJobRows.ReadCounts(command);
        }, cancellationToken);
    }

    /// <summary>The statement for the filters that are set, its parameter names and their values, in order.</summary>
    private static (string Sql, string[] Names, List<object?> Values) Filter(string select, JobQuery query, bool paged)
    {
        var sql = new StringBuilder(select);
        var names = new List<string>(12);
        var values = new List<object?>(12);
        void Where(string condition, string name, object? value)
        {
            sql.Append(names.Count == 0 ? " WHERE " : " AND ").Append(condition);
            names.Add(name);
            values.Add(value);
        }

        if (paged && query.AfterId is { } after)
        {
            Where("id > @after", "@after", after.Value);
        }

        if (query.State is { } state)
        {
            Where("state = @state", "@state", (int)state);

            // SQLite uses a partial index only when the query's terms imply its WHERE word for word (it cannot prove that
            // "state = 3" implies "state IN (3, 5, 6)"): a count repeats it and reads the state's covering index. A list
            // does not: the index would have it sort every job of the state for each page (millions of succeeded ones),
            // where the rowid walk stops at the page's end.
            var partialIndexTerm = paged ? "" : state switch
            {
                JobState.Succeeded or JobState.DeadLettered or JobState.Cancelled => $" AND state IN ({SqliteJobSql.FinishedStates})", // jobs_finished
                JobState.Scheduled or JobState.Failed => $" AND state IN ({SqliteJobSql.DueStates})", // jobs_due
                _ => "",
            };
            sql.Append(partialIndexTerm);
        }

        if (query.Queue is { } queue)
        {
            Where("queue = @queue", "@queue", queue);
        }

        if (query.JobName is { } name)
        {
            Where("name = @name", "@name", name);
        }

        if (query.BatchId is { } batch)
        {
            Where("batch_id = @batch_id", "@batch_id", SqliteValues.Blob(batch));
        }

        if (query.Tag is { } tag)
        {
            // Tags are a JSON array (SqliteValues.Tags); a job without tags has NULL, which json_each reads as no rows.
            Where("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE json_each.value = @tag)", "@tag", tag);
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            Where("created_at >= @created_from", "@created_from", SqliteValues.Ticks(createdFrom));
        }

        if (query.CreatedBefore is { } createdBefore)
        {
            Where("created_at < @created_before", "@created_before", SqliteValues.Ticks(createdBefore));
        }

        if (query.FinishedFrom is { } finishedFrom)
        {
            Where("finished_at >= @finished_from", "@finished_from", SqliteValues.Ticks(finishedFrom));
        }

        if (query.FinishedBefore is { } finishedBefore)
        {
            Where("finished_at < @finished_before", "@finished_before", SqliteValues.Ticks(finishedBefore));
        }

        if (paged)
        {
            sql.Append(" ORDER BY id LIMIT @limit");
            names.Add("@limit");
            values.Add(query.Limit);
        }

        return (sql.ToString(), [.. names], values);
    }
}
