namespace TaskRunner.Sqlite;

/// <summary>Enqueue: one prepared insert per job, deduplicated by the unique indexes inside the insert.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<EnqueueResult>>([]);
        }

        return _database.WriteAsync((jobs, now), static (session, state) => (IReadOnlyList<EnqueueResult>)InsertAll(session, state.jobs, state.now), cancellationToken);
    }

    /// <summary>Inserts <paramref name="jobs"/> in order, inside the caller's write transaction.</summary>
    internal static EnqueueResult[] InsertAll(SqliteSession session, IReadOnlyList<NewJob> jobs, DateTimeOffset now)
    {
        var insert = session.Statement(SqliteJobSql.Insert);
        var results = new EnqueueResult[jobs.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = Insert(session, insert, jobs[i], now);
        }

        return results;
    }

    /// <summary>Inserts one job (a batch's continuation with <paramref name="continuationOf"/>), or returns the job that
    /// already holds its idempotency or unique key (moving its run-at when the job debounces).</summary>
    internal static EnqueueResult Insert(SqliteSession session, SqliteRawStatement insert, NewJob job, DateTimeOffset now, byte[]? continuationOf = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.DebounceMaxDelay is { } maxDelay && job.UniqueKey is { } debounceKey)
        {
            var debounce = session.Command(SqliteJobSql.Debounce, "@run_at", "@max_delay", "@now", "@key");
            debounce.Set(0, job.RunAt.UtcTicks);
            debounce.Set(1, maxDelay.Ticks);
            debounce.Set(2, now.UtcTicks);
            debounce.Set(3, debounceKey);
            if (debounce.ExecuteScalar() is long waiting)
            {
                return new EnqueueResult(new JobId(waiting), Created: false);
            }

            var release = session.Command(SqliteJobSql.ReleaseRunningKey, "@key");
            release.Set(0, debounceKey);
            release.ExecuteNonQuery();
        }

        // The job's own columns, then the three the insert adds (see SqliteJobSql.Insert).
        SqliteJobRows.BindNewJob(insert, job);
        var next = SqliteJobRows.NewJobColumnCount + 1;
        insert.Bind(next, job.RunAt <= now ? (long)JobState.Pending : (long)JobState.Scheduled);
        insert.Bind(next + 1, now.UtcTicks);
        insert.Bind(next + 2, continuationOf, isNull: continuationOf is null);
        long? created = insert.Step() ? insert.ColumnInt64(0) : null;
        insert.Reset();
        if (created is { } id)
        {
            return new EnqueueResult(new JobId(id), Created: true);
        }

        // The insert hit a unique index: the idempotency key (forever) or the unique key (while active).
        if (job.IdempotencyKey is not null && Find(session, SqliteJobSql.FindByIdempotencyKey, job.IdempotencyKey) is { } byIdempotency)
        {
            return new EnqueueResult(byIdempotency, Created: false);
        }

        if (job.UniqueKey is not null && Find(session, SqliteJobSql.FindByUniqueKey, job.UniqueKey) is { } byUnique)
        {
            return new EnqueueResult(byUnique, Created: false);
        }

        throw new JobStoreException($"Job '{job.Name}' was not inserted and no job with its unique or idempotency key was found.");
    }

    private static JobId? Find(SqliteSession session, string sql, string key)
    {
        var command = session.Command(sql, "@key");
        command.Set(0, key);
        return command.ExecuteScalar() is long id ? new JobId(id) : null;
    }
}
