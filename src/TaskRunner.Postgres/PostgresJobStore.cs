using Npgsql;
using NpgsqlTypes;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The job store on PostgreSQL. Claim, heartbeat, complete and recovery are one statement each (batched over
/// arrays); a claim takes rows with <c>FOR UPDATE SKIP LOCKED</c>, so claimers on many machines never wait on each other's
/// rows. Transactions are used only where several statements must be atomic (a finished batch's continuation, cancel,
/// keyed enqueues).</summary>
internal sealed partial class PostgresJobStore : IJobStore, IJobStoreNotifications
{
    /// <summary>How many due scheduled jobs or retries one claim promotes to pending (the rest follow on the next claim).</summary>
    private const int PromoteLimit = 10_000;

    /// <summary>How many times an enqueue retries a job whose key clashed with a job that finished before it could be read.</summary>
    private const int MaxKeyRetries = 3;

    private readonly PostgresDatabase _database;

    // The array of the last JobNames instance claimed with: the engine passes the same set on every claim.
    private NamesCache? _names;

    public PostgresJobStore(PostgresDatabase database) => _database = database;

    /// <summary>Shared by many processes, with LISTEN/NOTIFY wake-ups; no cheap change counter (an idle poll's claim is one
    /// index probe anyway).</summary>
    public JobStoreCapabilities Capabilities => JobStoreCapabilities.Shared | JobStoreCapabilities.Notifications;

    public ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken) =>
        _database.Notifier.SubscribeAsync(onWork, cancellationToken);

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
            var c = batch.Continuation;
            var insert = Command(connection, sql.InsertBatch,
                V.Uuid(batch.Id.Value), V.Ticks(now), V.Bool(c is not null), V.Text(c?.Name), V.Text(c?.Queue), V.Bytes(c?.Payload), V.Int(c?.Priority),
                V.Ticks(c?.RunAt), V.Int(c?.MaxAttempts), V.Ticks(c?.Timeout), V.Text(c?.UniqueKey), V.Text(c?.IdempotencyKey), V.Text(c?.ConcurrencyKey),
                V.Text(c is null ? null : V.Tags(c.Tags)), V.Uuid(c?.BatchId?.Value), V.Text(c?.TraceParent), V.Ticks(c?.OccurrenceAt), V.Int(c?.ConcurrencyLimit));
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

    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        if (request.QueueLimit is <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        return _database.RunAsync((request, names: NamesArray(request.JobNames), sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (request, names, sql) = state;

            // The queue's lock (with a queue limit), promotion and the claim go in one round trip; as one implicit
            // transaction the claim sees the promoted rows, and the lock is held until the claim commits. Each statement
            // takes its own snapshot (READ COMMITTED), so the claim's is taken after the lock was granted. The lock comes
            // first so that a claimer waiting for it holds no promoted rows meanwhile.
            var batch = new NpgsqlBatch(connection);
            await using var batchScope = batch.ConfigureAwait(false);
#pragma warning disable CA2100 // Statement texts come from PostgresSql.
            if (request.QueueLimit is not null)
            {
                var queueLock = new NpgsqlBatchCommand(sql.QueueLock);
                queueLock.Parameters.Add(V.Text(sql.QueueLockKey + request.Queue));
                batch.BatchCommands.Add(queueLock);
            }

            var promote = new NpgsqlBatchCommand(sql.Promote);
            promote.Parameters.Add(V.Ticks(request.Now));
            promote.Parameters.Add(V.Int(PromoteLimit));
            batch.BatchCommands.Add(promote);
            var claim = new NpgsqlBatchCommand(sql.Claim);
#pragma warning restore CA2100
            claim.Parameters.Add(V.Text(request.Queue));
            claim.Parameters.Add(V.Int(request.MaxCount));
            claim.Parameters.Add(V.Text(request.Owner));
            claim.Parameters.Add(V.Ticks(request.Now + request.LeaseDuration));
            claim.Parameters.Add(V.Ticks(request.Now));
            claim.Parameters.Add(names is null ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = DBNull.Value } : V.Array(names, NpgsqlDbType.Text));
            claim.Parameters.Add(V.Int(request.QueueLimit));
            batch.BatchCommands.Add(claim);

            var jobs = new List<ClaimedJob>(Math.Min(request.MaxCount, 256));
            var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (request.QueueLimit is not null)
            {
                // The lock's own one-row result comes first: the claimed rows are the next result.
                await reader.NextResultAsync(ct).ConfigureAwait(false);
            }

            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                jobs.Add(new ClaimedJob
                {
                    Id = new JobId(reader.GetInt64(0)),
                    Name = reader.GetString(1),
                    Queue = reader.GetString(2),
                    Payload = V.Bytes(reader, 3),
                    Attempt = reader.GetInt32(4),
                    MaxAttempts = reader.GetInt32(5),
                    Timeout = V.Duration(reader, 6),
                    LeaseToken = reader.GetInt64(7),
                    LeaseExpiresAt = V.Instant(reader, 8),
                    RunAt = V.Instant(reader, 9),
                    CreatedAt = V.Instant(reader, 10),
                    ConcurrencyKey = V.NullableText(reader, 11),
                    Tags = V.Tags(reader, 12),
                    BatchId = V.Batch(reader, 13),
                    TraceParent = V.NullableText(reader, 14),
                    OccurrenceAt = V.NullableInstant(reader, 16),
                    ContinuationOf = V.Batch(reader, 17),
                });
            }

            return (IReadOnlyList<ClaimedJob>)jobs;
        }, cancellationToken);
    }

    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Leases.Count == 0)
        {
            return ValueTask.FromResult(HeartbeatResult.AllHeld);
        }

        return _database.RunAsync((leases: request.Leases, leaseExpiresAt: request.LeaseExpiresAt, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var ids = new long[state.leases.Count];
            var tokens = new long[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = state.leases[i].Id.Value;
                tokens[i] = state.leases[i].LeaseToken;
            }

            var held = new HashSet<long>(ids.Length);
            List<JobId>? cancel = null;
            var command = Command(connection, state.sql.Heartbeat, V.Ticks(state.leaseExpiresAt), V.Array(ids, NpgsqlDbType.Bigint), V.Array(tokens, NpgsqlDbType.Bigint), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    held.Add(reader.GetInt64(0));
                    if (reader.GetBoolean(1))
                    {
                        (cancel ??= []).Add(new JobId(reader.GetInt64(0)));
                    }
                }
            }

            List<JobId>? lost = null;
            foreach (var lease in state.leases)
            {
                if (!held.Contains(lease.Id.Value))
                {
                    (lost ??= []).Add(lease.Id);
                }
            }

            return lost is null && cancel is null
                ? HeartbeatResult.AllHeld
                : new HeartbeatResult { Lost = lost ?? [], CancellationRequested = cancel ?? [] };
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Completions.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JobId>>([]);
        }

        return _database.RunInTransactionAsync((completions: request.Completions, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (completions, now, sql) = state;
            var count = completions.Count;
            var ids = new long[count];
            var tokens = new long[count];
            var outcomes = new short[count];
            var results = new byte[]?[count];
            var retryAts = new long?[count];
            var errorTypes = new string?[count];
            var errorMessages = new string?[count];
            var errorStacks = new string?[count];
            for (var i = 0; i < count; i++)
            {
                var completion = completions[i];
                if (completion.Outcome is < JobOutcome.Succeeded or > JobOutcome.Released)
                {
                    throw new ArgumentOutOfRangeException(nameof(request), completion.Outcome, "Unknown job outcome.");
                }

                ids[i] = completion.Id.Value;
                tokens[i] = completion.LeaseToken;
                outcomes[i] = (short)completion.Outcome;
                results[i] = completion.Result is { } result ? V.ToArray(result) : null;
                retryAts[i] = completion.Outcome == JobOutcome.Failed ? (completion.RetryAt ?? now).UtcTicks : null;
                errorTypes[i] = completion.Error?.Type;
                errorMessages[i] = completion.Error?.Message;
                errorStacks[i] = completion.Error?.StackTrace;
            }

            var applied = new HashSet<long>(count);
            List<Guid>? batches = null;
            var command = Command(connection, sql.Complete,
                V.Array(ids, NpgsqlDbType.Bigint), V.Array(tokens, NpgsqlDbType.Bigint), V.Array(outcomes, NpgsqlDbType.Smallint),
                V.Array(results, NpgsqlDbType.Bytea), V.Array(retryAts, NpgsqlDbType.Bigint), V.Array(errorTypes, NpgsqlDbType.Text),
                V.Array(errorMessages, NpgsqlDbType.Text), V.Array(errorStacks, NpgsqlDbType.Text), V.Ticks(now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt64(0));
                    if (!reader.IsDBNull(1))
                    {
                        (batches ??= []).Add(reader.GetGuid(1));
                    }
                }
            }

            if (batches is not null)
            {
                await TryEnqueueContinuationsAsync(connection, sql, batches, now, ct).ConfigureAwait(false);
            }

            if (applied.Count == count)
            {
                return (IReadOnlyList<JobId>)[];
            }

            var rejected = new List<JobId>();
            foreach (var completion in completions)
            {
                if (!applied.Contains(completion.Id.Value))
                {
                    rejected.Add(completion.Id);
                }
            }

            return rejected;
        }, cancellationToken);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        return _database.RunAsync((lease: request.Lease, percent: request.Percent, message: request.Message, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Progress, V.Int(state.percent), V.Text(state.message), V.Long(state.lease.Id.Value), V.Long(state.lease.LeaseToken), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        if (maxCount <= 0)
        {
            return ValueTask.FromResult(default(RecoveryResult));
        }

        return _database.RunInTransactionAsync((now, maxCount, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var requeued = 0;
            var deadLettered = 0;
            List<Guid>? batches = null;
            var command = Command(connection, state.sql.Recover, V.Ticks(state.now), V.Int(state.maxCount));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    if (reader.GetInt16(0) == (short)JobState.DeadLettered)
                    {
                        deadLettered++;
                    }
                    else
                    {
                        requeued++;
                    }

                    if (!reader.IsDBNull(1))
                    {
                        (batches ??= []).Add(reader.GetGuid(1));
                    }
                }
            }

            if (batches is not null)
            {
                await TryEnqueueContinuationsAsync(connection, state.sql, batches, state.now, ct).ConfigureAwait(false);
            }

            return new RecoveryResult(requeued, deadLettered);
        }, cancellationToken);
    }

    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunInTransactionAsync((id, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (id, now, sql) = state;
            JobState jobState;
            Guid? batchId;
            var read = Command(connection, sql.LockJob, V.Long(id.Value));
            await using var readScope = read.ConfigureAwait(false);
            var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return CancelResult.NotFound;
                }

                jobState = (JobState)reader.GetInt16(0);
                batchId = reader.IsDBNull(1) ? null : reader.GetGuid(1);
            }

            switch (jobState)
            {
                case JobState.Scheduled or JobState.Pending or JobState.Failed:
                    var cancel = Command(connection, sql.CancelWaiting, V.Long(id.Value), V.Ticks(now));
                    await using (cancel.ConfigureAwait(false))
                    {
                        await cancel.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    if (batchId is { } batch)
                    {
                        await TryEnqueueContinuationsAsync(connection, sql, [batch], now, ct).ConfigureAwait(false);
                    }

                    return CancelResult.Cancelled;
                case JobState.Running:
                    var request = Command(connection, sql.RequestCancel, V.Long(id.Value));
                    await using (request.ConfigureAwait(false))
                    {
                        await request.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    return CancelResult.CancellationRequested;
                default:
                    return CancelResult.AlreadyFinished;
            }
        }, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            try
            {
                var command = Command(connection, state.sql.Requeue, V.Long(state.id.Value), V.Ticks(state.now));
                await using var commandScope = command.ConfigureAwait(false);
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another job took the unique key between the check and the update: the dead letter stays.
                return false;
            }
        }, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.State.IsFinished())
        {
            throw new ArgumentException($"PurgeRequest.State is {request.State}; only finished states (Succeeded, DeadLettered, Cancelled) can be purged.", nameof(request));
        }

        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult(0);
        }

        return _database.RunAsync((request, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Purge,
                V.SmallInt((short)state.request.State), V.Ticks(state.request.FinishedBefore), V.Int(state.request.MaxCount));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Get, V.Long(state.id.Value));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadRecord(reader) : null;
        }, cancellationToken);

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        _database.RunAsync((queue, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = state.queue is null
                ? Command(connection, state.sql.CountAll)
                : Command(connection, state.sql.CountQueue, V.Text(state.queue));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var counts = new long[7];
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var jobState = reader.GetInt16(0);
                if ((uint)jobState < (uint)counts.Length)
                {
                    counts[jobState] = reader.GetInt64(1);
                }
            }

            return JobCounts.FromCountsByState(counts);
        }, cancellationToken);

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Batch, V.Uuid(state.id.Value));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var counts = new long[7];
            var found = false;
            JobId? continuationId = null;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                found = true;
                continuationId = reader.IsDBNull(0) ? null : new JobId(reader.GetInt64(0));
                if (!reader.IsDBNull(1) && reader.GetInt16(1) is var jobState && (uint)jobState < (uint)counts.Length)
                {
                    counts[jobState] = reader.GetInt64(2);
                }
            }

            return found ? new BatchStatus { Id = state.id, Counts = JobCounts.FromCountsByState(counts), ContinuationId = continuationId } : null;
        }, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync((now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.NextRunAt, V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            var value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return value is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The PostgreSQL job store does not declare JobStoreCapabilities.ChangeVersion.");

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
        var names = new string[n];
        var queues = new string[n];
        var payloads = new byte[n][];
        var states = new short[n];
        var priorities = new int[n];
        var runAts = new long[n];
        var maxAttempts = new int[n];
        var timeouts = new long?[n];
        var uniqueKeys = new string?[n];
        var idempotencyKeys = new string?[n];
        var concurrencyKeys = new string?[n];
        var tags = new string?[n];
        var batchIds = new Guid?[n];
        var traceParents = new string?[n];
        var occurrenceAts = new long?[n];
        var continuationOfs = new Guid?[n];
        var concurrencyLimits = new int[n];
        for (var i = 0; i < n; i++)
        {
            var job = jobs[indexes[i]];
            names[i] = job.Name;
            queues[i] = job.Queue;
            payloads[i] = V.ToArray(job.Payload);
            states[i] = job.RunAt <= now ? (short)JobState.Pending : (short)JobState.Scheduled;
            priorities[i] = job.Priority;
            runAts[i] = job.RunAt.UtcTicks;
            maxAttempts[i] = job.MaxAttempts;
            timeouts[i] = job.Timeout?.Ticks;
            uniqueKeys[i] = job.UniqueKey;
            idempotencyKeys[i] = job.IdempotencyKey;
            concurrencyKeys[i] = job.ConcurrencyKey;
            tags[i] = V.Tags(job.Tags);
            batchIds[i] = job.BatchId?.Value;
            traceParents[i] = job.TraceParent;
            occurrenceAts[i] = job.OccurrenceAt?.UtcTicks;
            continuationOfs[i] = continuationOf;
            concurrencyLimits[i] = job.ConcurrencyLimit;
        }

        var inserted = new List<(long Id, string? UniqueKey, string? IdempotencyKey)>(n);
        var command = Command(connection, sql.Insert,
            V.Array(names, NpgsqlDbType.Text), V.Array(queues, NpgsqlDbType.Text), V.Array(payloads, NpgsqlDbType.Bytea), V.Array(states, NpgsqlDbType.Smallint),
            V.Array(priorities, NpgsqlDbType.Integer), V.Array(runAts, NpgsqlDbType.Bigint), V.Array(maxAttempts, NpgsqlDbType.Integer),
            V.Array(timeouts, NpgsqlDbType.Bigint), V.Array(uniqueKeys, NpgsqlDbType.Text), V.Array(idempotencyKeys, NpgsqlDbType.Text),
            V.Array(concurrencyKeys, NpgsqlDbType.Text), V.Array(tags, NpgsqlDbType.Text), V.Array(batchIds, NpgsqlDbType.Uuid),
            V.Array(traceParents, NpgsqlDbType.Text), V.Ticks(now), V.Array(occurrenceAts, NpgsqlDbType.Bigint),
            V.Array(continuationOfs, NpgsqlDbType.Uuid), V.Array(concurrencyLimits, NpgsqlDbType.Integer));
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


    private static JobRecord ReadRecord(NpgsqlDataReader reader) => new()
    {
        Id = new JobId(reader.GetInt64(0)),
        Name = reader.GetString(1),
        Queue = reader.GetString(2),
        Payload = V.Bytes(reader, 3),
        State = (JobState)reader.GetInt16(4),
        Priority = reader.GetInt32(5),
        RunAt = V.Instant(reader, 6),
        CreatedAt = V.Instant(reader, 7),
        Attempts = reader.GetInt32(8),
        MaxAttempts = reader.GetInt32(9),
        Timeout = V.Duration(reader, 10),
        UniqueKey = V.NullableText(reader, 11),
        IdempotencyKey = V.NullableText(reader, 12),
        ConcurrencyKey = V.NullableText(reader, 13),
        Tags = V.Tags(reader, 14),
        BatchId = V.Batch(reader, 15),
        Owner = V.NullableText(reader, 16),
        LeaseToken = reader.GetInt64(17),
        LeaseExpiresAt = V.NullableInstant(reader, 18),
        CancellationRequested = reader.GetBoolean(19),
        ProgressPercent = reader.IsDBNull(20) ? null : reader.GetInt32(20),
        ProgressMessage = V.NullableText(reader, 21),
        Result = V.NullableBytes(reader, 22) is { } result ? new ReadOnlyMemory<byte>(result) : (ReadOnlyMemory<byte>?)null,
        LastError = V.Error(reader, 23),
        FinishedAt = V.NullableInstant(reader, 26),
        TraceParent = V.NullableText(reader, 27),
        FirstStartedAt = V.NullableInstant(reader, 28),
        LastStartedAt = V.NullableInstant(reader, 29),
        OccurrenceAt = V.NullableInstant(reader, 30),
        ContinuationOf = V.Batch(reader, 31),
        ConcurrencyLimit = reader.GetInt32(32),
    };

    /// <summary>The names to claim as a parameter array (an empty set claims nothing: an empty array, not the NULL that
    /// means any name), cached for the set instance the engine passes on every claim.</summary>
    private string[]? NamesArray(IReadOnlyCollection<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        var cached = _names;
        if (cached is not null && ReferenceEquals(cached.Names, names))
        {
            return cached.Array;
        }

        string[] array = [.. names];
        _names = new NamesCache(names, array);
        return array;
    }

    private sealed record NamesCache(IReadOnlyCollection<string> Names, string[] Array);
}
