using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>The job store on a SQLite file: every write is one <c>BEGIN IMMEDIATE</c> transaction, so it is atomic
/// across every process sharing the file; claim and every lease-guarded write are single statements.</summary>
internal sealed partial class SqliteJobStore : IJobStore, IJobStoreNotifications
{
    private const string RecordColumns =
        "id, name, queue, payload, state, priority, run_at, created_at, attempts, max_attempts, timeout, unique_key, idempotency_key, " +
        "concurrency_key, tags, batch_id, owner, lease_token, lease_expires_at, cancel_requested, progress_percent, progress_message, " +
        "result, error_type, error_message, error_stack, finished_at, trace_parent, first_started_at, last_started_at, occurrence_at, continuation_of, concurrency_limit";

    // Positional parameters: bound by number through SqliteRawStatement on the enqueue path (see Insert).
    private const string InsertSql =
        "INSERT INTO jobs (name, queue, payload, state, priority, run_at, created_at, max_attempts, timeout, unique_key, idempotency_key, concurrency_key, tags, batch_id, trace_parent, " +
        "occurrence_at, continuation_of, concurrency_limit) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) " +
        "ON CONFLICT DO NOTHING RETURNING id";

    private const string FindByIdempotencyKeySql = "SELECT id FROM jobs WHERE idempotency_key = @key";

    private const string FindByUniqueKeySql = "SELECT id FROM jobs WHERE unique_key = @key AND state IN (0, 1, 2, 4)";

    // Debounce (NewJob.DebounceMaxDelay): a waiting keyed job's run-at moves to the new one, capped at its creation plus
    // the max delay; it is pending when that is already due. Both statements repeat the partial index's "state IN (0, 1,
    // 2, 4)" word for word: SQLite uses a partial index only when the query's terms imply its WHERE, and it cannot prove
    // that "state IN (0, 1)" does (without it, every debounced enqueue scanned the whole table).
    internal const string DebounceSql =
        "UPDATE jobs SET run_at = MIN(@run_at, created_at + @max_delay), " +
        "state = CASE WHEN MIN(@run_at, created_at + @max_delay) <= @now THEN 1 ELSE 0 END " +
        "WHERE unique_key = @key AND state IN (0, 1, 2, 4) AND state IN (0, 1) RETURNING id";

    // A running keyed job gives up its key to the debounced job queued behind it.
    internal const string ReleaseRunningKeySql = "UPDATE jobs SET unique_key = NULL WHERE unique_key = @key AND state IN (0, 1, 2, 4) AND state = 2";

    // One range scan per state over jobs_due; promotes every queue at once, which is as cheap as promoting one.
    internal const string PromoteSql = "UPDATE jobs SET state = 1 WHERE state IN (0, 4) AND run_at <= @now";

    // The inner SELECT walks jobs_claim (pending jobs of the queue that may run now, in claim order) and stops after
    // @limit rows. Jobs waiting for a slot of their concurrency key are not in that index (key_wait = 1, see SqliteSchema
    // migration 3), so every row walked is claimable and the claim costs the same with a million jobs behind a busy key.
    // Claim by names (ClaimRequest.JobNames, a JSON array or NULL) filters the same walk: names are not indexed, so a claim
    // never switches to another plan; jobs of other names are stepped over in the index and left untouched.
    internal const string ClaimSql =
        "UPDATE jobs SET state = 2, owner = @owner, lease_token = lease_token + 1, lease_expires_at = @lease_expires_at, " +
        "attempts = attempts + 1, cancel_requested = 0, first_started_at = ifnull(first_started_at, @now), last_started_at = @now " +
        "WHERE id IN (SELECT j.id FROM jobs j WHERE j.state = 1 AND j.key_wait = 0 AND j.queue = @queue " +
        "AND (@names IS NULL OR j.name IN (SELECT value FROM json_each(@names))) " +
        "ORDER BY j.priority DESC, j.run_at, j.id LIMIT @limit) " +
        "RETURNING id, name, queue, payload, attempts, max_attempts, timeout, lease_token, lease_expires_at, run_at, created_at, " +
        "concurrency_key, tags, batch_id, trace_parent, priority, occurrence_at, continuation_of";

    // ClaimRequest.QueueLimit: the queue's running jobs, read through jobs_queue_running (at most the limit, once it holds).
    internal const string QueueRunningSql = "SELECT count(*) FROM jobs WHERE queue = @queue AND state = 2";

    // Every write about a claimed job checks "lease_expires_at >= @now": the contract's one rule (IJobStore remarks), the
    // exact complement of recovery's "lease_expires_at < @now", so no instant has a lease both renewable and recoverable.
    // All leases of one heartbeat in one statement over a JSON list of [id, token] pairs.
    internal const string HeartbeatSql =
        "UPDATE jobs SET lease_expires_at = @lease_expires_at " +
        "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS token FROM json_each(@leases)) AS c " +
        "WHERE jobs.id = c.id AND jobs.lease_token = c.token AND jobs.state = 2 AND jobs.lease_expires_at >= @now RETURNING jobs.id, jobs.cancel_requested";

    private const string SucceedSql =
        "UPDATE jobs SET state = 3, result = @result, finished_at = @now, lease_expires_at = NULL " +
        "WHERE id = @id AND state = 2 AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    // Plain successes (no result) of one CompleteAsync call are applied by one statement over a JSON list of
    // [id, token] pairs: one execution for the whole list instead of one per job.
    internal const string SucceedManySql =
        "UPDATE jobs SET state = 3, result = NULL, finished_at = @now, lease_expires_at = NULL " +
        "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS token FROM json_each(@leases)) AS c " +
        "WHERE jobs.id = c.id AND jobs.lease_token = c.token AND jobs.state = 2 AND jobs.lease_expires_at >= @now RETURNING jobs.id, jobs.batch_id";

    private const string FailSql =
        "UPDATE jobs SET state = 4, run_at = @retry_at, error_type = @error_type, error_message = @error_message, error_stack = @error_stack, lease_expires_at = NULL " +
        "WHERE id = @id AND state = 2 AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    private const string FinishSql =
        "UPDATE jobs SET state = @state, error_type = @error_type, error_message = @error_message, error_stack = @error_stack, finished_at = @now, lease_expires_at = NULL " +
        "WHERE id = @id AND state = 2 AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    private const string ReleaseSql =
        "UPDATE jobs SET state = 1, attempts = attempts - 1, lease_expires_at = NULL, cancel_requested = 0 " +
        "WHERE id = @id AND state = 2 AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    private const string ProgressSql =
        "UPDATE jobs SET progress_percent = @percent, progress_message = @message WHERE id = @id AND state = 2 AND lease_token = @token AND lease_expires_at >= @now";

    internal const string RecoverDeadSql =
        "UPDATE jobs SET state = 5, finished_at = @now, lease_expires_at = NULL, error_type = 'LeaseExpired', " +
        "error_message = 'The lease of worker ''' || ifnull(owner, '') || ''' expired before attempt ' || attempts || ' of ' || max_attempts || ' finished; no attempts are left.', error_stack = NULL " +
        "WHERE id IN (SELECT id FROM jobs WHERE state = 2 AND lease_expires_at < @now AND attempts >= max_attempts LIMIT @limit) RETURNING batch_id";

    private const string RecoverPendingSql =
        "UPDATE jobs SET state = 1, lease_expires_at = NULL, error_type = 'LeaseExpired', " +
        "error_message = 'The lease of worker ''' || ifnull(owner, '') || ''' expired before attempt ' || attempts || ' of ' || max_attempts || ' finished; the job will run again.', error_stack = NULL " +
        "WHERE id IN (SELECT id FROM jobs WHERE state = 2 AND lease_expires_at < @now AND attempts < max_attempts LIMIT @limit)";

    private const string StateSql = "SELECT state, batch_id FROM jobs WHERE id = @id";

    private const string CancelWaitingSql = "UPDATE jobs SET state = 6, finished_at = @now WHERE id = @id AND state IN (0, 1, 4)";

    private const string RequestCancelSql = "UPDATE jobs SET cancel_requested = 1 WHERE id = @id AND state = 2";

    // OR IGNORE: a dead letter whose unique key is now taken by another active job stays dead-lettered.
    private const string RequeueSql =
        "UPDATE OR IGNORE jobs SET state = 1, attempts = 0, run_at = @now, finished_at = NULL, cancel_requested = 0, lease_expires_at = NULL " +
        "WHERE id = @id AND state IN (5, 6)";

    private const string GetSql = "SELECT " + RecordColumns + " FROM jobs WHERE id = @id";

    private const string CountAllSql = "SELECT state, count(*) FROM jobs GROUP BY state";

    private const string CountQueueSql = "SELECT state, count(*) FROM jobs WHERE queue = @queue GROUP BY state";

    private const string CountBatchSql = "SELECT state, count(*) FROM jobs WHERE batch_id = @batch_id GROUP BY state";

    private const string NextRunAtSql =
        "SELECT min(x) FROM (SELECT min(run_at) AS x FROM jobs WHERE state = 0 AND run_at > @now " +
        "UNION ALL SELECT min(run_at) FROM jobs WHERE state = 4 AND run_at > @now)";

    private const string InsertBatchSql =
        "INSERT INTO batches (id, created_at, has_continuation, c_name, c_queue, c_payload, c_priority, c_run_at, c_max_attempts, c_timeout, " +
        "c_unique_key, c_idempotency_key, c_concurrency_key, c_tags, c_batch_id, c_trace_parent, c_occurrence_at, c_concurrency_limit) " +
        "VALUES (@id, @now, @has, @name, @queue, @payload, @priority, @run_at, @max_attempts, @timeout, @unique_key, @idempotency_key, @concurrency_key, @tags, @batch_id, @trace_parent, @occurrence_at, @concurrency_limit)";

    private const string BatchSql =
        "SELECT has_continuation, continuation_id, c_name, c_queue, c_payload, c_priority, c_run_at, c_max_attempts, c_timeout, " +
        "c_unique_key, c_idempotency_key, c_concurrency_key, c_tags, c_batch_id, c_trace_parent, c_occurrence_at, c_concurrency_limit FROM batches WHERE id = @id";

    private const string BatchUnfinishedSql = "SELECT EXISTS (SELECT 1 FROM jobs WHERE batch_id = @batch_id AND state IN (0, 1, 2, 4))";

    private const string SetContinuationSql = "UPDATE batches SET continuation_id = @continuation_id WHERE id = @id";

    private static readonly string[] PurgeSql =
    [
        .. new[] { JobState.Succeeded, JobState.DeadLettered, JobState.Cancelled }.Select(state =>
            $"DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = {(int)state} AND (@before IS NULL OR finished_at < @before) LIMIT @limit)"),
    ];

    private readonly SqliteDatabase _database;

    // The JSON of the last JobNames instance claimed with: the engine passes the same set on every claim.
    private NamesCache? _names;

    public SqliteJobStore(SqliteDatabase database) => _database = database;

    public JobStoreCapabilities Capabilities => JobStoreCapabilities.ChangeVersion | JobStoreCapabilities.Notifications | JobStoreCapabilities.Shared;

    /// <summary>Watches the file's data version: another process's commit wakes this process's pollers within
    /// <see cref="SqliteChangeWatcher.Interval"/>.</summary>
    public ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken) =>
        SqliteChangeWatcher.StartAsync(_database, onWork, cancellationToken);

    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<EnqueueResult>>([]);
        }

        return _database.WriteAsync((jobs, now), static (session, state) => (IReadOnlyList<EnqueueResult>)InsertAll(session, state.jobs, state.now), cancellationToken);
    }

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _database.WriteAsync((batch, now), static (session, state) =>
        {
            var (batch, now) = state;
            var command = session.Command(InsertBatchSql, "@id", "@now", "@has", "@name", "@queue", "@payload", "@priority", "@run_at", "@max_attempts", "@timeout", "@unique_key", "@idempotency_key", "@concurrency_key", "@tags", "@batch_id", "@trace_parent", "@occurrence_at", "@concurrency_limit");
            var continuation = batch.Continuation;
            command.Set(0, batch.Id.Value.ToByteArray());
            command.Set(1, SqliteValues.Ticks(now));
            command.Set(2, continuation is null ? 0 : 1);
            command.Set(3, continuation?.Name);
            command.Set(4, continuation?.Queue);
            command.Set(5, continuation is null ? null : SqliteValues.Blob(continuation.Payload));
            command.Set(6, continuation?.Priority);
            command.Set(7, continuation is null ? null : SqliteValues.Ticks(continuation.RunAt));
            command.Set(8, continuation?.MaxAttempts);
            command.Set(9, SqliteValues.Ticks(continuation?.Timeout));
            command.Set(10, continuation?.UniqueKey);
            command.Set(11, continuation?.IdempotencyKey);
            command.Set(12, continuation?.ConcurrencyKey);
            command.Set(13, continuation is null ? null : SqliteValues.Tags(continuation.Tags));
            command.Set(14, SqliteValues.Blob(continuation?.BatchId));
            command.Set(15, continuation?.TraceParent);
            command.Set(16, SqliteValues.Ticks(continuation?.OccurrenceAt));
            command.Set(17, continuation?.ConcurrencyLimit);
            command.ExecuteNonQuery();

            var results = InsertAll(session, batch.Jobs, now);

            // An empty batch is finished the moment it exists.
            if (batch.Jobs.Count == 0)
            {
                TryEnqueueContinuation(session, batch.Id.Value.ToByteArray(), now);
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

        return _database.WriteAsync((request, names: NamesJson(request.JobNames)), static (session, state) =>
        {
            var request = state.request;
            var now = SqliteValues.Ticks(request.Now);
            var promote = session.Command(PromoteSql, "@now");
            promote.Set(0, now);
            promote.ExecuteNonQuery();

            var claim = session.Command(ClaimSql, "@owner", "@lease_expires_at", "@queue", "@limit", "@now", "@names");
            claim.Set(0, request.Owner);
            claim.Set(1, SqliteValues.Ticks(request.Now + request.LeaseDuration));
            claim.Set(2, request.Queue);
            var limit = request.MaxCount;
            if (request.QueueLimit is { } queueLimit)
            {
                var running = session.Command(QueueRunningSql, "@queue");
                running.Set(0, request.Queue);
                limit = (int)Math.Min(limit, queueLimit - (long)running.ExecuteScalar()!);
                if (limit <= 0)
                {
                    return (IReadOnlyList<ClaimedJob>)[];
                }
            }

            claim.Set(3, limit);
            claim.Set(4, now);
            claim.Set(5, state.names);
            var claimed = new List<(int Priority, ClaimedJob Job)>(Math.Min(request.MaxCount, 256));
            using (var reader = claim.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add((reader.GetInt32(15), new ClaimedJob
                    {
                        Id = new JobId(reader.GetInt64(0)),
                        Name = reader.GetString(1),
                        Queue = reader.GetString(2),
                        Payload = SqliteValues.Bytes(reader, 3),
                        Attempt = reader.GetInt32(4),
                        MaxAttempts = reader.GetInt32(5),
                        Timeout = SqliteValues.Duration(reader, 6),
                        LeaseToken = reader.GetInt64(7),
                        LeaseExpiresAt = SqliteValues.Instant(reader, 8),
                        RunAt = SqliteValues.Instant(reader, 9),
                        CreatedAt = SqliteValues.Instant(reader, 10),
                        ConcurrencyKey = SqliteValues.Text(reader, 11),
                        Tags = SqliteValues.Tags(reader, 12),
                        BatchId = SqliteValues.Batch(reader, 13),
                        TraceParent = SqliteValues.Text(reader, 14),
                        OccurrenceAt = SqliteValues.NullableInstant(reader, 16),
                        ContinuationOf = SqliteValues.Batch(reader, 17),
                    }));
                }
            }

            // RETURNING yields rows in update order, which SQLite does not promise to be the claim order.
            claimed.Sort(static (a, b) =>
            {
                var byPriority = b.Priority.CompareTo(a.Priority);
                if (byPriority != 0)
                {
                    return byPriority;
                }

                var byRunAt = a.Job.RunAt.CompareTo(b.Job.RunAt);
                return byRunAt != 0 ? byRunAt : a.Job.Id.CompareTo(b.Job.Id);
            });
            var jobs = new ClaimedJob[claimed.Count];
            for (var i = 0; i < jobs.Length; i++)
            {
                jobs[i] = claimed[i].Job;
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

        return _database.WriteAsync((leases: request.Leases, leaseExpiresAt: request.LeaseExpiresAt, now: request.Now), static (session, state) =>
        {
            var command = session.Command(HeartbeatSql, "@lease_expires_at", "@leases", "@now");
            command.Set(0, SqliteValues.Ticks(state.leaseExpiresAt));
            command.Set(2, SqliteValues.Ticks(state.now));
            var leases = new StringBuilder(state.leases.Count * 24).Append('[');
            foreach (var lease in state.leases)
            {
                AppendLease(leases, lease.Id, lease.LeaseToken);
            }

            command.Set(1, leases.Append(']').ToString());
            var held = new HashSet<long>(state.leases.Count);
            List<JobId>? lost = null;
            List<JobId>? cancel = null;
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    held.Add(reader.GetInt64(0));
                    if (reader.GetInt64(1) != 0)
                    {
                        (cancel ??= []).Add(new JobId(reader.GetInt64(0)));
                    }
                }
            }

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

        return _database.WriteAsync((completions: request.Completions, now: request.Now), static (session, state) =>
        {
            var now = SqliteValues.Ticks(state.now);
            List<JobId>? rejected = null;
            List<byte[]>? batches = null;
            var plain = CompletePlainSuccesses(session, state.completions, now, ref rejected, ref batches);
            foreach (var completion in state.completions)
            {
                if (plain && IsPlainSuccess(completion))
                {
                    continue;
                }

                SqliteCommand command;
                switch (completion.Outcome)
                {
                    case JobOutcome.Succeeded:
                        command = session.Command(SucceedSql, "@id", "@token", "@result", "@now");
                        command.Set(2, completion.Result is { } result ? SqliteValues.Blob(result) : null);
                        command.Set(3, now);
                        break;
                    case JobOutcome.Failed:
                        command = session.Command(FailSql, "@id", "@token", "@retry_at", "@error_type", "@error_message", "@error_stack", "@now");
                        command.Set(2, SqliteValues.Ticks(completion.RetryAt ?? state.now));
                        SetError(command, 3, completion.Error);
                        command.Set(6, now);
                        break;
                    case JobOutcome.DeadLettered:
                    case JobOutcome.Cancelled:
                        command = session.Command(FinishSql, "@id", "@token", "@state", "@error_type", "@error_message", "@error_stack", "@now");
                        command.Set(2, completion.Outcome == JobOutcome.DeadLettered ? (int)JobState.DeadLettered : (int)JobState.Cancelled);
                        SetError(command, 3, completion.Error);
                        command.Set(6, now);
                        break;
                    case JobOutcome.Released:
                        command = session.Command(ReleaseSql, "@id", "@token", "@now");
                        command.Set(2, now);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(request), completion.Outcome, "Unknown job outcome.");
                }

                command.Set(0, completion.Id.Value);
                command.Set(1, completion.LeaseToken);
                using var reader = command.ExecuteReader();
                if (!reader.Read())
                {
                    (rejected ??= []).Add(completion.Id);
                }
                else if (!reader.IsDBNull(0) && completion.Outcome is not JobOutcome.Failed and not JobOutcome.Released)
                {
                    (batches ??= []).Add((byte[])reader.GetValue(0));
                }
            }

            if (batches is not null)
            {
                TryEnqueueContinuations(session, batches, state.now);
            }

            return rejected is null ? (IReadOnlyList<JobId>)[] : rejected;
        }, cancellationToken);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        return _database.WriteAsync((lease: request.Lease, percent: request.Percent, message: request.Message, now: request.Now), static (session, state) =>
        {
            var command = session.Command(ProgressSql, "@percent", "@message", "@id", "@token", "@now");
            command.Set(4, SqliteValues.Ticks(state.now));
            command.Set(0, state.percent);
            command.Set(1, state.message);
            command.Set(2, state.lease.Id.Value);
            command.Set(3, state.lease.LeaseToken);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        if (maxCount <= 0)
        {
            return ValueTask.FromResult(default(RecoveryResult));
        }

        return _database.WriteAsync((now, maxCount), static (session, state) =>
        {
            var now = SqliteValues.Ticks(state.now);
            var dead = session.Command(RecoverDeadSql, "@now", "@limit");
            dead.Set(0, now);
            dead.Set(1, state.maxCount);
            var deadLettered = 0;
            List<byte[]>? batches = null;
            using (var reader = dead.ExecuteReader())
            {
                while (reader.Read())
                {
                    deadLettered++;
                    if (!reader.IsDBNull(0))
                    {
                        (batches ??= []).Add((byte[])reader.GetValue(0));
                    }
                }
            }

            var pending = session.Command(RecoverPendingSql, "@now", "@limit");
            pending.Set(0, now);
            pending.Set(1, state.maxCount - deadLettered);
            var requeued = deadLettered < state.maxCount ? pending.ExecuteNonQuery() : 0;

            if (batches is not null)
            {
                TryEnqueueContinuations(session, batches, state.now);
            }

            return new RecoveryResult(requeued, deadLettered);
        }, cancellationToken);
    }

    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((id, now), static (session, state) =>
        {
            var read = session.Command(StateSql, "@id");
            read.Set(0, state.id.Value);
            JobState jobState;
            byte[]? batchId;
            using (var reader = read.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return CancelResult.NotFound;
                }

                jobState = (JobState)reader.GetInt32(0);
                batchId = SqliteValues.NullableBytes(reader, 1);
            }

            switch (jobState)
            {
                case JobState.Scheduled or JobState.Pending or JobState.Failed:
                    var cancel = session.Command(CancelWaitingSql, "@id", "@now");
                    cancel.Set(0, state.id.Value);
                    cancel.Set(1, SqliteValues.Ticks(state.now));
                    cancel.ExecuteNonQuery();
                    if (batchId is not null)
                    {
                        TryEnqueueContinuation(session, batchId, state.now);
                    }

                    return CancelResult.Cancelled;
                case JobState.Running:
                    var request = session.Command(RequestCancelSql, "@id");
                    request.Set(0, state.id.Value);
                    request.ExecuteNonQuery();
                    return CancelResult.CancellationRequested;
                default:
                    return CancelResult.AlreadyFinished;
            }
        }, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((id, now), static (session, state) =>
        {
            var command = session.Command(RequeueSql, "@id", "@now");
            command.Set(0, state.id.Value);
            command.Set(1, SqliteValues.Ticks(state.now));
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sql = request.State switch
        {
            JobState.Succeeded => PurgeSql[0],
            JobState.DeadLettered => PurgeSql[1],
            JobState.Cancelled => PurgeSql[2],
            _ => throw new ArgumentException($"PurgeRequest.State is {request.State}; only finished states (Succeeded, DeadLettered, Cancelled) can be purged.", nameof(request)),
        };
        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult(0);
        }

        return _database.WriteAsync((request, sql), static (session, state) =>
        {
            var command = session.Command(state.sql, "@before", "@limit");
            command.Set(0, SqliteValues.Ticks(state.request.FinishedBefore));
            command.Set(1, state.request.MaxCount);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(id, static (session, id) =>
        {
            var command = session.Command(GetSql, "@id");
            command.Set(0, id.Value);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadRecord(reader) : null;
        }, cancellationToken);

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(queue, static (session, queue) =>
        {
            SqliteCommand command;
            if (queue is null)
            {
                command = session.Command(CountAllSql);
            }
            else
            {
                command = session.Command(CountQueueSql, "@queue");
                command.Set(0, queue);
            }

            return ReadCounts(command);
        }, cancellationToken);

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(id, static (session, id) =>
        {
            var key = id.Value.ToByteArray();
            session.Execute("BEGIN");
            try
            {
                var batch = session.Command(BatchSql, "@id");
                batch.Set(0, key);
                JobId? continuationId;
                using (var reader = batch.ExecuteReader())
                {
                    if (!reader.Read())
                    {
                        return null;
                    }

                    continuationId = reader.IsDBNull(1) ? null : new JobId(reader.GetInt64(1));
                }

                var counts = session.Command(CountBatchSql, "@batch_id");
                counts.Set(0, key);
                return new BatchStatus { Id = id, Counts = ReadCounts(counts), ContinuationId = continuationId };
            }
            finally
            {
                session.Execute("COMMIT");
            }
        }, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(SqliteValues.Ticks(now), static (session, now) =>
        {
            var next = session.Command(NextRunAtSql, "@now");
            next.Set(0, now);
            var value = next.ExecuteScalar();
            return value is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        _database.GetChangeVersionAsync(cancellationToken);

    private string? NamesJson(IReadOnlyCollection<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        var cached = _names;
        if (cached is not null && ReferenceEquals(cached.Names, names))
        {
            return cached.Json;
        }

        // An empty set claims nothing: "[]", not the NULL that means any name.
        var json = names.Count == 0 ? "[]" : SqliteValues.Tags([.. names])!;
        _names = new NamesCache(names, json);
        return json;
    }

    private static EnqueueResult[] InsertAll(SqliteSession session, IReadOnlyList<NewJob> jobs, DateTimeOffset now)
    {
        var insert = session.Statement(InsertSql);
        var results = new EnqueueResult[jobs.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = Insert(session, insert, jobs[i], now);
        }

        return results;
    }

    private static EnqueueResult Insert(SqliteSession session, SqliteRawStatement insert, NewJob job, DateTimeOffset now, byte[]? continuationOf = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.DebounceMaxDelay is { } maxDelay && job.UniqueKey is { } debounceKey)
        {
            var debounce = session.Command(DebounceSql, "@run_at", "@max_delay", "@now", "@key");
            debounce.Set(0, job.RunAt.UtcTicks);
            debounce.Set(1, maxDelay.Ticks);
            debounce.Set(2, now.UtcTicks);
            debounce.Set(3, debounceKey);
            if (debounce.ExecuteScalar() is long waiting)
            {
                return new EnqueueResult(new JobId(waiting), Created: false);
            }

            var release = session.Command(ReleaseRunningKeySql, "@key");
            release.Set(0, debounceKey);
            release.ExecuteNonQuery();
        }

        Span<byte> batchId = stackalloc byte[16];
        var hasBatch = job.BatchId is { } batch && batch.Value.TryWriteBytes(batchId);

        // Positions are the ?N of InsertSql, in column order.
        insert.Bind(1, job.Name);
        insert.Bind(2, job.Queue);
        insert.Bind(3, job.Payload.Span);
        insert.Bind(4, job.RunAt <= now ? (long)JobState.Pending : (long)JobState.Scheduled);
        insert.Bind(5, job.Priority);
        insert.Bind(6, job.RunAt.UtcTicks);
        insert.Bind(7, now.UtcTicks);
        insert.Bind(8, job.MaxAttempts);
        insert.Bind(9, job.Timeout?.Ticks);
        insert.Bind(10, job.UniqueKey);
        insert.Bind(11, job.IdempotencyKey);
        insert.Bind(12, job.ConcurrencyKey);
        insert.Bind(13, SqliteValues.Tags(job.Tags));
        insert.Bind(14, batchId, isNull: !hasBatch);
        insert.Bind(15, job.TraceParent);
        insert.Bind(16, job.OccurrenceAt?.UtcTicks);
        insert.Bind(17, continuationOf, isNull: continuationOf is null);
        insert.Bind(18, job.ConcurrencyLimit);
        long? created = insert.Step() ? insert.ColumnInt64(0) : null;
        insert.Reset();
        if (created is { } id)
        {
            return new EnqueueResult(new JobId(id), Created: true);
        }

        // The insert hit a unique index: the idempotency key (forever) or the unique key (while active).
        if (job.IdempotencyKey is not null && Find(session, FindByIdempotencyKeySql, job.IdempotencyKey) is { } byIdempotency)
        {
            return new EnqueueResult(byIdempotency, Created: false);
        }

        if (job.UniqueKey is not null && Find(session, FindByUniqueKeySql, job.UniqueKey) is { } byUnique)
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

    private static bool IsPlainSuccess(JobCompletion completion) => completion is { Outcome: JobOutcome.Succeeded, Result: null };

    /// <summary>Applies every success without a result payload in one statement, when there are at least two.</summary>
    /// <returns>Whether it did (else the caller applies them one by one).</returns>
    private static bool CompletePlainSuccesses(SqliteSession session, IReadOnlyList<JobCompletion> completions, object now, ref List<JobId>? rejected, ref List<byte[]>? batches)
    {
        var count = 0;
        foreach (var completion in completions)
        {
            if (IsPlainSuccess(completion))
            {
                count++;
            }
        }

        if (count < 2)
        {
            return false;
        }

        var leases = new StringBuilder(count * 24).Append('[');
        foreach (var completion in completions)
        {
            if (IsPlainSuccess(completion))
            {
                AppendLease(leases, completion.Id, completion.LeaseToken);
            }
        }

        var command = session.Command(SucceedManySql, "@now", "@leases");
        command.Set(0, now);
        command.Set(1, leases.Append(']').ToString());
        var applied = new HashSet<long>(count);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt64(0));
                if (!reader.IsDBNull(1))
                {
                    (batches ??= []).Add((byte[])reader.GetValue(1));
                }
            }
        }

        if (applied.Count != count)
        {
            foreach (var completion in completions)
            {
                if (IsPlainSuccess(completion) && !applied.Contains(completion.Id.Value))
                {
                    (rejected ??= []).Add(completion.Id);
                }
            }
        }

        return true;
    }

    /// <summary>Appends <c>[id,token]</c> to a JSON array under construction (that starts with <c>[</c>).</summary>
    private static void AppendLease(StringBuilder json, JobId id, long token) =>
        json.Append(json.Length == 1 ? "[" : ",[")
            .Append(id.Value.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(token.ToString(CultureInfo.InvariantCulture)).Append(']');

    private static void SetError(SqliteCommand command, int index, JobError? error)
    {
        command.Set(index, error?.Type);
        command.Set(index + 1, error?.Message);
        command.Set(index + 2, error?.StackTrace);
    }

    private static void TryEnqueueContinuations(SqliteSession session, List<byte[]> batches, DateTimeOffset now)
    {
        byte[]? previous = null;
        foreach (var batch in batches)
        {
            // Completions of one batch usually arrive together; checking the same batch twice is harmless but wasted.
            if (previous is not null && batch.AsSpan().SequenceEqual(previous))
            {
                continue;
            }

            previous = batch;
            TryEnqueueContinuation(session, batch, now);
        }
    }

    /// <summary>Enqueues the batch's continuation if the batch has one, it was not enqueued yet, and no job of the batch is
    /// unfinished. Runs inside the write transaction that finished a job, so exactly one writer sees the last one finish.</summary>
    private static void TryEnqueueContinuation(SqliteSession session, byte[] batchId, DateTimeOffset now)
    {
        var unfinished = session.Command(BatchUnfinishedSql, "@batch_id");
        unfinished.Set(0, batchId);
        if ((long)unfinished.ExecuteScalar()! != 0)
        {
            return;
        }

        var read = session.Command(BatchSql, "@id");
        read.Set(0, batchId);
        NewJob continuation;
        using (var reader = read.ExecuteReader())
        {
            if (!reader.Read() || reader.GetInt64(0) == 0 || !reader.IsDBNull(1))
            {
                return;
            }

            continuation = new NewJob
            {
                Name = reader.GetString(2),
                Queue = reader.GetString(3),
                Payload = SqliteValues.Bytes(reader, 4),
                Priority = reader.GetInt32(5),
                RunAt = SqliteValues.Instant(reader, 6),
                MaxAttempts = reader.GetInt32(7),
                Timeout = SqliteValues.Duration(reader, 8),
                UniqueKey = SqliteValues.Text(reader, 9),
                IdempotencyKey = SqliteValues.Text(reader, 10),
                ConcurrencyKey = SqliteValues.Text(reader, 11),
                Tags = SqliteValues.Tags(reader, 12),
                BatchId = SqliteValues.Batch(reader, 13),
                TraceParent = SqliteValues.Text(reader, 14),
                OccurrenceAt = SqliteValues.NullableInstant(reader, 15),
                ConcurrencyLimit = reader.IsDBNull(16) ? 1 : reader.GetInt32(16),
            };
        }

        var result = Insert(session, session.Statement(InsertSql), continuation, now, batchId);
        var update = session.Command(SetContinuationSql, "@continuation_id", "@id");
        update.Set(0, result.Id.Value);
        update.Set(1, batchId);
        update.ExecuteNonQuery();
    }

    private static JobCounts ReadCounts(SqliteCommand command)
    {
        Span<long> counts = stackalloc long[7];
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var state = reader.GetInt32(0);
                if ((uint)state < (uint)counts.Length)
                {
                    counts[state] = reader.GetInt64(1);
                }
            }
        }

        return JobCounts.FromCountsByState(counts);
    }

    private static JobRecord ReadRecord(SqliteDataReader reader) => new()
    {
        Id = new JobId(reader.GetInt64(0)),
        Name = reader.GetString(1),
        Queue = reader.GetString(2),
        Payload = SqliteValues.Bytes(reader, 3),
        State = (JobState)reader.GetInt32(4),
        Priority = reader.GetInt32(5),
        RunAt = SqliteValues.Instant(reader, 6),
        CreatedAt = SqliteValues.Instant(reader, 7),
        Attempts = reader.GetInt32(8),
        MaxAttempts = reader.GetInt32(9),
        Timeout = SqliteValues.Duration(reader, 10),
        UniqueKey = SqliteValues.Text(reader, 11),
        IdempotencyKey = SqliteValues.Text(reader, 12),
        ConcurrencyKey = SqliteValues.Text(reader, 13),
        Tags = SqliteValues.Tags(reader, 14),
        BatchId = SqliteValues.Batch(reader, 15),
        Owner = SqliteValues.Text(reader, 16),
        LeaseToken = reader.GetInt64(17),
        LeaseExpiresAt = SqliteValues.NullableInstant(reader, 18),
        CancellationRequested = reader.GetInt64(19) != 0,
        ProgressPercent = reader.IsDBNull(20) ? null : reader.GetInt32(20),
        ProgressMessage = SqliteValues.Text(reader, 21),
        Result = SqliteValues.NullableBytes(reader, 22) is { } result ? new ReadOnlyMemory<byte>(result) : (ReadOnlyMemory<byte>?)null,
        LastError = SqliteValues.Error(reader, 23),
        FinishedAt = SqliteValues.NullableInstant(reader, 26),
        TraceParent = SqliteValues.Text(reader, 27),
        FirstStartedAt = SqliteValues.NullableInstant(reader, 28),
        LastStartedAt = SqliteValues.NullableInstant(reader, 29),
        OccurrenceAt = SqliteValues.NullableInstant(reader, 30),
        ContinuationOf = SqliteValues.Batch(reader, 31),
        ConcurrencyLimit = reader.GetInt32(32),
    };

    private sealed record NamesCache(IReadOnlyCollection<string> Names, string Json);
}
