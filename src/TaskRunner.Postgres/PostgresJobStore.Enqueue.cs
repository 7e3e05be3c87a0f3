using Npgsql;
using NpgsqlTypes;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The job store's enqueue: single jobs and batches in one insert statement, keyed jobs resolved to the job holding
/// their key, debounced jobs moved on, and a finished batch's continuation.</summary>
internal sealed partial class PostgresJobStore
{
    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<EnqueueResult>>([]);
        }

        foreach (var job in jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
        }

        // Jobs without keys go in one statement, atomic on its own; keyed ones may need a second look-up statement.
        var keyed = false;
        foreach (var job in jobs)
        {
            keyed |= job.UniqueKey is not null || job.IdempotencyKey is not null;
        }

        Func<NpgsqlConnection, (IReadOnlyList<NewJob> jobs, DateTimeOffset now, PostgresSql sql), CancellationToken, Task<IReadOnlyList<EnqueueResult>>> insert =
            static async (connection, state, ct) => await InsertAllAsync(connection, state.sql, state.jobs, state.now, null, ct).ConfigureAwait(false);
        return keyed
            ? _database.RunInTransactionAsync((jobs, now, _database.Sql), insert, cancellationToken)
            : _database.RunAsync((jobs, now, _database.Sql), insert, cancellationToken);
    }

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(batch.Jobs);
        return _database.RunInTransactionAsync((batch, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (batch, now, sql) = state;
            var continuation = batch.Continuation is { } c ? new NewJobColumns([c], null, now, null) : null;
            var insert = Command(connection, sql.InsertBatch, [V.Uuid(batch.Id.Value), V.Ticks(now), V.Bool(continuation is not null), .. NewJobColumns.ContinuationParameters(continuation)]);
            await using (insert.ConfigureAwait(false))
            {
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var results = batch.Jobs.Count == 0 ? [] : await InsertAllAsync(connection, sql, batch.Jobs, now, null, ct).ConfigureAwait(false);

            // An empty batch is finished the moment it exists.
            if (batch.Jobs.Count == 0)
            {
                await TryEnqueueContinuationsAsync(connection, sql, [batch.Id.Value], now, ct).ConfigureAwait(false);
            }

            return (IReadOnlyList<EnqueueResult>)results;
        }, cancellationToken);
    }

    /// <summary>Inserts the jobs with one statement, then resolves the ones a unique or idempotency key held back to the
    /// existing job's id, recording <c>continuationOf</c> (the batch the jobs are the continuation of, if they are one).
    /// Runs inside the caller's transaction.</summary>
    private static async Task<EnqueueResult[]> InsertAllAsync(NpgsqlConnection connection, PostgresSql sql, IReadOnlyList<NewJob> jobs, DateTimeOffset now, Guid? continuationOf, CancellationToken ct)
    {
        var results = new EnqueueResult?[jobs.Count];
        var todo = new List<int>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i] is { DebounceMaxDelay: { } maxDelay, UniqueKey: { } key }
                && await DebounceAsync(connection, sql, jobs[i].RunAt, maxDelay, key, now, ct).ConfigureAwait(false) is { } waiting)
            {
                results[i] = new EnqueueResult(new JobId(waiting), Created: false);
            }
            else
            {
                todo.Add(i);
            }
        }

        for (var round = 0; todo.Count > 0; round++)
        {
            if (round > MaxKeyRetries)
            {
                var job = jobs[todo[0]];
                throw new JobStoreException($"Job '{job.Name}' was not inserted and no job with its unique or idempotency key was found.", null, isTransient: true);
            }

            var skipped = await InsertOnceAsync(connection, sql, jobs, todo, now, continuationOf, results, ct).ConfigureAwait(false);
            if (skipped.Count == 0)
            {
                break;
            }

            todo = await ResolveExistingAsync(connection, sql, jobs, skipped, results, ct).ConfigureAwait(false);
        }

        var final = new EnqueueResult[jobs.Count];
        for (var i = 0; i < final.Length; i++)
        {
            final[i] = results[i]!.Value;
        }

        return final;
    }

    /// <summary>A debounced enqueue: moves the waiting job with the key on and returns its id; with none waiting, takes the key
    /// from a running job (so a change made meanwhile is queued behind it) and returns null for an insert.</summary>
    private static async Task<long?> DebounceAsync(NpgsqlConnection connection, PostgresSql sql, DateTimeOffset runAt, TimeSpan maxDelay, string key, DateTimeOffset now, CancellationToken ct)
    {
        var debounce = Command(connection, sql.Debounce, V.Ticks(runAt), V.Long(maxDelay.Ticks), V.Ticks(now), V.Text(key));
        await using (debounce.ConfigureAwait(false))
        {
            if (await debounce.ExecuteScalarAsync(ct).ConfigureAwait(false) is long waiting)
            {
                return waiting;
            }
        }

        var release = Command(connection, sql.ReleaseRunningKey, V.Text(key));
        await using (release.ConfigureAwait(false))
        {
            await release.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        return null;
    }

    /// <returns>The indexes of the jobs that were not inserted.</returns>
    private static async Task<List<int>> InsertOnceAsync(NpgsqlConnection connection, PostgresSql sql, IReadOnlyList<NewJob> jobs, List<int> indexes, DateTimeOffset now, Guid? continuationOf, EnqueueResult?[] results, CancellationToken ct)
    {
        var n = indexes.Count;
        var columns = new NewJobColumns(jobs, indexes, now, continuationOf);
        var inserted = new List<(long Id, string? UniqueKey, string? IdempotencyKey)>(n);
        var command = Command(connection, sql.Insert, columns.InsertParameters(now));
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                inserted.Add((reader.GetInt64(0), V.NullableText(reader, 1), V.NullableText(reader, 2)));
            }
        }

        // Identities were drawn in input order, so sorted by id the inserted rows are the input minus the skipped
        // ones, in order. A job without keys is always inserted; a keyed job is the next inserted row exactly when that
        // row carries its keys (two inserted rows never share a key: the unique indexes forbid it).
        inserted.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        var skipped = new List<int>();
        var next = 0;
        for (var i = 0; i < n; i++)
        {
            var job = jobs[indexes[i]];
            var keyed = job.UniqueKey is not null || job.IdempotencyKey is not null;
            if (next < inserted.Count && (!keyed || (inserted[next].UniqueKey == job.UniqueKey && inserted[next].IdempotencyKey == job.IdempotencyKey)))
            {
                results[indexes[i]] = new EnqueueResult(new JobId(inserted[next++].Id), Created: true);
            }
            else
            {
                skipped.Add(indexes[i]);
            }
        }

        return skipped;
    }

    /// <summary>Finds the job each skipped job collided with: by idempotency key (any job), else by unique key (active jobs).</summary>
    /// <returns>The jobs whose collision partner is already gone (finished or purged meanwhile): to be inserted again.</returns>
    private static async Task<List<int>> ResolveExistingAsync(NpgsqlConnection connection, PostgresSql sql, IReadOnlyList<NewJob> jobs, List<int> skipped, EnqueueResult?[] results, CancellationToken ct)
    {
        var idempotencyKeys = skipped.Select(i => jobs[i].IdempotencyKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var uniqueKeys = skipped.Select(i => jobs[i].UniqueKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var byIdempotency = new Dictionary<string, long>(StringComparer.Ordinal);
        var byUnique = new Dictionary<string, long>(StringComparer.Ordinal);
        var command = Command(connection, sql.FindExisting, V.Array(idempotencyKeys, NpgsqlDbType.Text), V.Array(uniqueKeys, NpgsqlDbType.Text));
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(1))
                {
                    byIdempotency[reader.GetString(0)] = reader.GetInt64(1);
                }
                else if (!reader.IsDBNull(2))
                {
                    byUnique[reader.GetString(0)] = reader.GetInt64(2);
                }
            }
        }

        var retry = new List<int>();
        foreach (var index in skipped)
        {
            var job = jobs[index];
            if (job.IdempotencyKey is { } idempotencyKey && byIdempotency.TryGetValue(idempotencyKey, out var existing))
            {
                results[index] = new EnqueueResult(new JobId(existing), Created: false);
            }
            else if (job.UniqueKey is { } uniqueKey && byUnique.TryGetValue(uniqueKey, out existing))
            {
                results[index] = new EnqueueResult(new JobId(existing), Created: false);
            }
            else
            {
                retry.Add(index);
            }
        }

        return retry;
    }

    /// <summary>For each batch whose continuation is still to be enqueued: locks the batch row (finishers of one batch take
    /// turns here), and if no job of the batch is unfinished, enqueues the continuation and records its id. Runs in the
    /// transaction that finished the jobs, after their updates.</summary>
    private static async Task TryEnqueueContinuationsAsync(NpgsqlConnection connection, PostgresSql sql, IReadOnlyCollection<Guid> batchIds, DateTimeOffset now, CancellationToken ct)
    {
        var ids = batchIds.Distinct().ToArray();
        var waiting = new List<(Guid Id, NewJob Continuation)>();
        var command = Command(connection, sql.LockBatches, V.Array(ids, NpgsqlDbType.Uuid));
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                waiting.Add((reader.GetGuid(0), new NewJob
                {
                    Name = reader.GetString(1),
                    Queue = reader.GetString(2),
                    Payload = V.Bytes(reader, 3),
                    Priority = reader.GetInt32(4),
                    RunAt = V.Instant(reader, 5),
                    MaxAttempts = reader.GetInt32(6),
                    Timeout = V.Duration(reader, 7),
                    UniqueKey = V.NullableText(reader, 8),
                    IdempotencyKey = V.NullableText(reader, 9),
                    ConcurrencyKey = V.NullableText(reader, 10),
                    Tags = V.Tags(reader, 11),
                    BatchId = V.Batch(reader, 12),
                    TraceParent = V.NullableText(reader, 13),
                    OccurrenceAt = V.NullableInstant(reader, 14),
                    ConcurrencyLimit = reader.IsDBNull(15) ? 1 : reader.GetInt32(15),
                }));
            }
        }

        foreach (var (id, continuation) in waiting)
        {
            // A new statement after the lock: it sees every job update committed by the finishers that went before.
            var unfinished = Command(connection, sql.BatchUnfinished, V.Uuid(id));
            await using (unfinished.ConfigureAwait(false))
            {
                if ((bool)(await unfinished.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                {
                    continue;
                }
            }

            var result = (await InsertAllAsync(connection, sql, [continuation], now, id, ct).ConfigureAwait(false))[0];
            var set = Command(connection, sql.SetContinuation, V.Uuid(id), V.Long(result.Id.Value));
            await using var setScope = set.ConfigureAwait(false);
            await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
