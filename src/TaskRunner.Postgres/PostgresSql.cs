namespace TaskRunner.Postgres;

/// <summary>
/// Every statement of the backend, in one place, for one schema. Values are always parameters (<c>$1</c>, <c>$2</c>...);
/// the only text spliced in is the schema name, which <see cref="PostgresStoreOptions"/> restricts to a plain identifier
/// and which is quoted here. Times are UTC ticks; states are <see cref="JobState"/> numbers.
/// </summary>
internal sealed class PostgresSql
{
    /// <summary>The record columns, in the order <c>PostgresJobStore.ReadRecord</c> reads them.</summary>
    internal const string RecordColumns =
        "id, name, queue, payload, state, priority, run_at, created_at, attempts, max_attempts, timeout, unique_key, idempotency_key, " +
        "concurrency_key, tags, batch_id, owner, lease_token, lease_expires_at, cancel_requested, progress_percent, progress_message, " +
        "result, error_type, error_message, error_stack, finished_at, trace_parent, first_started_at, last_started_at, occurrence_at, continuation_of, concurrency_limit";

    public PostgresSql(string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        Schema = schema;
        var s = "\"" + schema + "\"";
        // {s} is the quoted schema, {channel} the notification channel (set before any statement is built); {Pending} and the like are JobState's numbers, so the statements follow the enum.
        string S(string sql)
        {
            sql = sql.Replace("{s}", s, StringComparison.Ordinal).Replace("{channel}", Channel, StringComparison.Ordinal);
            foreach (var state in Enum.GetValues<JobState>())
            {
                sql = sql.Replace("{" + state + "}", ((int)state).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            return sql;
        }

        Channel = ("taskrunner_" + schema).Length <= 63 ? "taskrunner_" + schema : schema;
        Listen = "LISTEN \"" + Channel + "\"";
        Migrations = [.. PostgresSchema.Migrations.Select(S)];
        CreateSchema = S("CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL); " +
            "INSERT INTO {s}.schema_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM {s}.schema_version)");
        ReadVersion = S("SELECT version FROM {s}.schema_version");
        SetVersion = S("UPDATE {s}.schema_version SET version = $1");
        SchemaExists = "SELECT to_regclass($1) IS NOT NULL";

        // One statement for the whole list: rows come out of unnest in input order (ORDER BY ord), so identities grow
        // with it. A row whose unique key (among active jobs) or idempotency key (among all) is taken, or repeats an
        // earlier row of the same call, is skipped by ON CONFLICT DO NOTHING; the caller finds the existing job.
        // A keyed pending job takes its key's slot or waits, by trigger (PostgresSchema.KeyWait).
        Insert = S(
            "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::smallint[], $5::integer[], $6::bigint[], $7::integer[], " +
            "$8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::uuid[], $14::text[], $16::bigint[], $17::uuid[], $18::integer[]) WITH ORDINALITY " +
            "AS i(name, queue, payload, state, priority, run_at, max_attempts, timeout, unique_key, idempotency_key, concurrency_key, tags, batch_id, trace_parent, " +
            "occurrence_at, continuation_of, concurrency_limit, ord)), " +
            "inserted AS (INSERT INTO {s}.jobs (name, queue, payload, state, priority, run_at, created_at, max_attempts, timeout, unique_key, idempotency_key, concurrency_key, tags, batch_id, trace_parent, " +
            "occurrence_at, continuation_of, concurrency_limit) " +
            "SELECT name, queue, payload, state, priority, run_at, $15, max_attempts, timeout, unique_key, idempotency_key, concurrency_key, tags, batch_id, trace_parent, " +
            "occurrence_at, continuation_of, concurrency_limit " +
            "FROM input ORDER BY ord ON CONFLICT DO NOTHING RETURNING id, unique_key, idempotency_key, queue, state) " +
            "SELECT id, unique_key, idempotency_key, (" + Notify("inserted", "true") + ") FROM inserted");

        FindExisting = S(
            "SELECT k.key, (SELECT id FROM {s}.jobs WHERE idempotency_key = k.key), NULL::bigint FROM unnest($1::text[]) AS k(key) " +
            "UNION ALL SELECT k.key, NULL::bigint, (SELECT id FROM {s}.jobs WHERE unique_key = k.key AND state IN ({Scheduled}, {Pending}, {Running}, {Failed})) FROM unnest($2::text[]) AS k(key)");

        // Scheduled jobs and retries whose time came become pending, for every queue at once (one range scan of
        // jobs_due). SKIP LOCKED: promoters running at once split the rows instead of queueing on each other.
        Promote = S(
            "UPDATE {s}.jobs SET state = {Pending} WHERE id IN (SELECT id FROM {s}.jobs WHERE state IN ({Scheduled}, {Failed}) AND run_at <= $1 " +
            "ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED)");

        // The claim, in one statement. `candidates` walks jobs_claim (pending jobs of the queue in claim order, without
        // those waiting for a slot of their concurrency key) and locks up to $2 rows, skipping rows another claimer holds.
        // Every job in that index may run: a keyed one holds one of its key's slots, and a key never has more slot
        // holders than its limit (PostgresSchema.KeyWait keeps them by trigger), so a claim needs no key check and never
        // steps over jobs behind a busy key however many there are. Claim by names ($6, NULL = any name) filters the same
        // walk: names are not indexed, so the plan never changes; jobs of other names are stepped over and left untouched.
        // With a queue limit ($7) the walk stops at the limit less the queue's running jobs (read through jobs_lease);
        // the caller holds the queue's advisory lock (QueueLock) from before this statement's snapshot, so claimers of a
        // capped queue count each other's committed claims. The rest of the update is the lease and the start facts.
        Claim = S(
            "WITH candidates AS (SELECT j.id FROM {s}.jobs j " +
            "WHERE j.state = {Pending} AND NOT j.key_wait AND j.queue = $1 AND ($6::text[] IS NULL OR j.name = ANY($6::text[])) " +
            "ORDER BY j.priority DESC, j.run_at, j.id " +
            "LIMIT CASE WHEN $7::integer IS NULL THEN $2 ELSE greatest(0, least($2, $7::integer - (SELECT count(*) FROM {s}.jobs r WHERE r.queue = $1 AND r.state = {Running}))) END " +
            "FOR UPDATE OF j SKIP LOCKED), " +
            "claimed AS (UPDATE {s}.jobs j SET state = {Running}, owner = $3, lease_token = j.lease_token + 1, lease_expires_at = $4, attempts = j.attempts + 1, cancel_requested = false, " +
            "first_started_at = coalesce(j.first_started_at, $5), last_started_at = $5 " +
            "FROM candidates c WHERE j.id = c.id " +
            "RETURNING j.id, j.name, j.queue, j.payload, j.attempts, j.max_attempts, j.timeout, j.lease_token, j.lease_expires_at, j.run_at, j.created_at, " +
            "j.concurrency_key, j.tags, j.batch_id, j.trace_parent, j.priority, j.occurrence_at, j.continuation_of) " +
            "SELECT * FROM claimed ORDER BY priority DESC, run_at, id");

        // Taken before the claim of a queue with a limit, in the claim's transaction: claimers of one capped queue take
        // turns from here to their commit, so each one's count of running jobs includes every claim before it.
        QueueLock = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
        AsynchronousCommit = "SELECT set_config('synchronous_commit', 'off', true)";
        QueueLockKey = "taskrunner.queue:" + schema + ":";

        // The lease rule (held while now <= its expiry) is written "(…) IS TRUE" in heartbeats and completions so the planner
        // keeps looking each job up by id: as an index condition it would walk every running job's lease instead.
        Heartbeat = S(
            "UPDATE {s}.jobs j SET lease_expires_at = $1 FROM unnest($2::bigint[], $3::bigint[]) AS c(id, token) " +
            "WHERE j.id = c.id AND j.lease_token = c.token AND j.state = {Running} AND (j.lease_expires_at >= $4) IS TRUE RETURNING j.id, j.cancel_requested");

        // Every report of one call in one statement over parallel arrays; outcome numbers are JobOutcome's
        // (0 Succeeded, 1 Failed, 2 DeadLettered, 3 Cancelled, 4 Released). Only rows still running under the reported
        // token change. A finished job's concurrency key slot passes to the key's next waiting job by trigger
        // (PostgresSchema.KeyWait); a released one keeps it.
        Complete = S(
            "WITH c AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::bytea[], $5::bigint[], $6::text[], $7::text[], $8::text[]) " +
            "AS c(id, token, outcome, result, retry_at, error_type, error_message, error_stack)), " +
            "done AS (UPDATE {s}.jobs j SET " +
            "state = CASE c.outcome WHEN 0 THEN {Succeeded} WHEN 1 THEN {Failed} WHEN 2 THEN {DeadLettered} WHEN 3 THEN {Cancelled} ELSE {Pending} END, " +
            "result = CASE WHEN c.outcome = 0 THEN c.result ELSE j.result END, " +
            "run_at = CASE WHEN c.outcome = 1 THEN c.retry_at ELSE j.run_at END, " +
            "error_type = CASE WHEN c.outcome IN (1, 2, 3) THEN c.error_type ELSE j.error_type END, " +
            "error_message = CASE WHEN c.outcome IN (1, 2, 3) THEN c.error_message ELSE j.error_message END, " +
            "error_stack = CASE WHEN c.outcome IN (1, 2, 3) THEN c.error_stack ELSE j.error_stack END, " +
            "finished_at = CASE WHEN c.outcome IN (0, 2, 3) THEN $9 ELSE j.finished_at END, " +
            "attempts = CASE WHEN c.outcome = 4 THEN j.attempts - 1 ELSE j.attempts END, " +
            "cancel_requested = CASE WHEN c.outcome = 4 THEN false ELSE j.cancel_requested END, " +
            "lease_expires_at = NULL " +
            "FROM c WHERE j.id = c.id AND j.state = {Running} AND j.lease_token = c.token AND (j.lease_expires_at >= $9) IS TRUE RETURNING j.id, j.batch_id, j.concurrency_key, j.state, j.queue) " +
            "SELECT id, CASE WHEN state IN ({Succeeded}, {DeadLettered}, {Cancelled}) THEN batch_id END, (" + Notify("done", "state IN ({Pending}, {Failed})") + ") FROM done");

        // A lease is held while now <= its expiry (the IJobStore rule): once passed, it is lost here too, even before recovery.
        Progress = S("UPDATE {s}.jobs SET progress_percent = $1, progress_message = $2 WHERE id = $3 AND state = {Running} AND lease_token = $4 AND lease_expires_at >= $5");

        // Expired leases, oldest first, at most $2; rows a worker is completing right now are skipped (SKIP LOCKED) and
        // rows whose lease was extended since the snapshot are re-checked and left alone.
        Recover = S(
            "WITH expired AS (SELECT id FROM {s}.jobs WHERE state = {Running} AND lease_expires_at < $1 ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED), " +
            "done AS (UPDATE {s}.jobs j SET state = CASE WHEN j.attempts >= j.max_attempts THEN {DeadLettered} ELSE {Pending} END, " +
            "finished_at = CASE WHEN j.attempts >= j.max_attempts THEN $1 END, lease_expires_at = NULL, error_type = 'LeaseExpired', " +
            "error_message = 'The lease of worker ''' || coalesce(j.owner, '') || ''' expired before attempt ' || j.attempts || ' of ' || j.max_attempts || " +
            "CASE WHEN j.attempts >= j.max_attempts THEN ' finished; no attempts are left.' ELSE ' finished; the job will run again.' END, error_stack = NULL " +
            "FROM expired e WHERE j.id = e.id RETURNING j.id, j.batch_id, j.concurrency_key, j.state, j.queue) " +
            "SELECT state, CASE WHEN state = {DeadLettered} THEN batch_id END, (" + Notify("done", "state = {Pending}") + ") FROM done");

        LockJob = S("SELECT state, batch_id, concurrency_key FROM {s}.jobs WHERE id = $1 FOR UPDATE");
        CancelWaiting = S("UPDATE {s}.jobs SET state = {Cancelled}, finished_at = $2 WHERE id = $1 AND state IN ({Scheduled}, {Pending}, {Failed})");
        RequestCancel = S("UPDATE {s}.jobs SET cancel_requested = true WHERE id = $1 AND state = {Running}");

        // A dead letter whose unique key is now taken by another active job stays dead-lettered (the unique index would
        // refuse it; the NOT EXISTS avoids the error in the common case, the caller maps a race's 23505 to false).
        Requeue = S(
            "UPDATE {s}.jobs j SET state = {Pending}, attempts = 0, run_at = $2, finished_at = NULL, cancel_requested = false, lease_expires_at = NULL " +
            "WHERE j.id = $1 AND j.state IN ({DeadLettered}, {Cancelled}) AND (j.unique_key IS NULL OR NOT EXISTS " +
            "(SELECT 1 FROM {s}.jobs o WHERE o.unique_key = j.unique_key AND o.state IN ({Scheduled}, {Pending}, {Running}, {Failed}))) RETURNING pg_notify('" + Channel + "', j.queue)");

        Purge = S(
            "DELETE FROM {s}.jobs WHERE id IN (SELECT id FROM {s}.jobs WHERE state = $1 AND ($2::bigint IS NULL OR finished_at < $2) " +
            "ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED)");

        DeleteFinished = S("DELETE FROM {s}.jobs WHERE id = $1 AND state IN ({Succeeded}, {DeadLettered}, {Cancelled})");
        Get = S("SELECT " + RecordColumns + " FROM {s}.jobs WHERE id = $1");
        CountAll = S("SELECT state, count(*) FROM {s}.jobs GROUP BY state");
        CountQueue = S("SELECT state, count(*) FROM {s}.jobs WHERE queue = $1 GROUP BY state");

        // One statement, so the continuation and the counts come from the same snapshot.
        Batch = S(
            "SELECT b.continuation_id, s.state, s.n FROM {s}.batches b LEFT JOIN LATERAL " +
            "(SELECT state, count(*) AS n FROM {s}.jobs WHERE batch_id = b.id GROUP BY state) s ON true WHERE b.id = $1");
        // Debounce (NewJob.DebounceMaxDelay): a waiting keyed job's run-at moves to the new one, capped at its creation plus
        // the max delay, and it is pending when that is already due; "state IN ({Scheduled}, {Pending}, {Running}, {Failed})" lets the unique-key index serve it.
        Debounce = S(
            "UPDATE {s}.jobs SET run_at = least($1, created_at + $2), state = CASE WHEN least($1, created_at + $2) <= $3 THEN {Pending} ELSE {Scheduled} END " +
            "WHERE unique_key = $4 AND state IN ({Scheduled}, {Pending}, {Running}, {Failed}) AND state IN ({Scheduled}, {Pending}) RETURNING id");

        // A running keyed job gives up its key to the debounced job queued behind it.
        ReleaseRunningKey = S("UPDATE {s}.jobs SET unique_key = NULL WHERE unique_key = $1 AND state IN ({Scheduled}, {Pending}, {Running}, {Failed}) AND state = {Running}");

        // After now: a due job nobody claims (its queue served elsewhere) must not hide the later run-ats a scheduler sleeps for.
        NextRunAt = S("SELECT least((SELECT min(run_at) FROM {s}.jobs WHERE state = {Scheduled} AND run_at > $1), (SELECT min(run_at) FROM {s}.jobs WHERE state = {Failed} AND run_at > $1))");

        InsertBatch = S(
            "INSERT INTO {s}.batches (id, created_at, has_continuation, c_name, c_queue, c_payload, c_priority, c_run_at, c_max_attempts, c_timeout, " +
            "c_unique_key, c_idempotency_key, c_concurrency_key, c_tags, c_batch_id, c_trace_parent, c_occurrence_at, c_concurrency_limit) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)");

        // Taken in the transaction that finished a batch's job, after the job's update: the row lock makes the
        // finishers of one batch take turns, so the last one sees every other job finished and enqueues the
        // continuation, once (continuation_id is set under the same lock).
        LockBatches = S(
            "SELECT id, c_name, c_queue, c_payload, c_priority, c_run_at, c_max_attempts, c_timeout, c_unique_key, c_idempotency_key, " +
            "c_concurrency_key, c_tags, c_batch_id, c_trace_parent, c_occurrence_at, c_concurrency_limit FROM {s}.batches " +
            "WHERE id = ANY($1) AND has_continuation AND continuation_id IS NULL ORDER BY id FOR UPDATE");
        BatchUnfinished = S("SELECT EXISTS (SELECT 1 FROM {s}.jobs WHERE batch_id = $1 AND state IN ({Scheduled}, {Pending}, {Running}, {Failed}))");
        SetContinuation = S("UPDATE {s}.batches SET continuation_id = $2 WHERE id = $1");

        // Locks: insert a free name, or take over a row whose lease ended (released rows have expires_at 0). ON CONFLICT
        // locks the existing row and checks the WHERE on its newest version, so of two racing acquirers one wins.
        AcquireLock = S(
            "INSERT INTO {s}.locks AS l (name, owner, token, expires_at) VALUES ($1, $2, 1, $3) " +
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = l.token + 1, expires_at = excluded.expires_at " +
            "WHERE l.expires_at <= $4 RETURNING l.token");
        RenewLock = S("UPDATE {s}.locks SET expires_at = $1 WHERE name = $2 AND token = $3 AND owner IS NOT NULL AND expires_at > $4");
        ReleaseLock = S("UPDATE {s}.locks SET owner = NULL, expires_at = 0 WHERE name = $1 AND token = $2 AND owner IS NOT NULL");

        const string ScheduleColumns =
            "name, cron, time_zone, job_name, payload, queue, misfire_policy, max_misfires, paused, last_occurrence, created_at, updated_at, version";
        var bumpSchedules = "bump AS (UPDATE {s}.counters SET value = value + 1 WHERE name = 'schedules' AND EXISTS (SELECT 1 FROM changed) " +
            "RETURNING pg_notify('" + Channel + "', '')) ";
        UpsertSchedule = S(
            "WITH changed AS (INSERT INTO {s}.schedules AS t (" + ScheduleColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) " +
            "ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, job_name = excluded.job_name, payload = excluded.payload, " +
            "queue = excluded.queue, misfire_policy = excluded.misfire_policy, max_misfires = excluded.max_misfires, paused = excluded.paused, " +
            "last_occurrence = coalesce(excluded.last_occurrence, t.last_occurrence), updated_at = excluded.updated_at, version = t.version + 1 " +
            "RETURNING " + ScheduleColumns + "), " + bumpSchedules + "SELECT " + ScheduleColumns + " FROM changed");
        GetSchedule = S("SELECT " + ScheduleColumns + " FROM {s}.schedules WHERE name = $1");
        ListSchedules = S("SELECT " + ScheduleColumns + " FROM {s}.schedules ORDER BY name COLLATE \"C\"");
        RemoveSchedule = S("WITH changed AS (DELETE FROM {s}.schedules WHERE name = $1 RETURNING 1), " + bumpSchedules + "SELECT count(*) FROM changed");
        PauseSchedule = S(
            "WITH changed AS (UPDATE {s}.schedules SET paused = $2, updated_at = $3, version = version + 1 WHERE name = $1 RETURNING 1), " +
            bumpSchedules + "SELECT count(*) FROM changed");
        AdvanceSchedule = S(
            "WITH changed AS (UPDATE {s}.schedules SET last_occurrence = $2, version = version + 1 WHERE name = $1 AND last_occurrence IS NOT DISTINCT FROM $3 RETURNING 1), " +
            bumpSchedules + "SELECT count(*) FROM changed");
        ScheduleVersion = S("SELECT value FROM {s}.counters WHERE name = 'schedules'");

        const string MetadataColumns = "path, size, last_write, content_hash, metadata, extracted_at, error_type, error_message, error_stack";
        UpsertMetadata = S(
            "INSERT INTO {s}.file_metadata (" + MetadataColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) " +
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, last_write = excluded.last_write, content_hash = excluded.content_hash, " +
            "metadata = excluded.metadata, extracted_at = excluded.extracted_at, error_type = excluded.error_type, " +
            "error_message = excluded.error_message, error_stack = excluded.error_stack");
        GetMetadata = S("SELECT " + MetadataColumns + " FROM {s}.file_metadata WHERE path = $1");
        PageMetadata = S("SELECT " + MetadataColumns + " FROM {s}.file_metadata WHERE path > $1 ORDER BY path LIMIT $2");
        RemoveMetadata = S("DELETE FROM {s}.file_metadata WHERE path = $1");

        // Wakes listening processes when the transaction commits: one notification per queue that got pending work ('' for
        // work that is due later: the scheduler's business). PostgreSQL folds identical notifications of one transaction.
        // Written as a scalar subquery of the statement's own output, which PostgreSQL evaluates once.
        string Notify(string source, string condition) =>
            "SELECT count(pg_notify('" + Channel + "', q)) FROM (SELECT DISTINCT CASE WHEN state = {Pending} THEN queue ELSE '' END AS q FROM " + source +
            " WHERE " + condition + ") AS n";
    }

    /// <summary>The schema name (unquoted).</summary>
    public string Schema { get; }

#pragma warning disable CS1591, SA1600 // Internal statement texts; each is explained where it is built.
    public string Channel { get; }
    public string Listen { get; }
    public string[] Migrations { get; }
    public string CreateSchema { get; }
    public string ReadVersion { get; }
    public string SetVersion { get; }
    public string SchemaExists { get; }
    public string Insert { get; }
    public string FindExisting { get; }
    public string Promote { get; }
    public string Claim { get; }
    public string QueueLock { get; }
    public string AsynchronousCommit { get; }
    public string QueueLockKey { get; }
    public string Heartbeat { get; }
    public string Complete { get; }
    public string Progress { get; }
    public string Recover { get; }
    public string LockJob { get; }
    public string CancelWaiting { get; }
    public string RequestCancel { get; }
    public string Requeue { get; }
    public string Purge { get; }
    public string DeleteFinished { get; }
    public string Get { get; }
    public string CountAll { get; }
    public string CountQueue { get; }
    public string Batch { get; }
    public string Debounce { get; }
    public string ReleaseRunningKey { get; }
    public string NextRunAt { get; }
    public string InsertBatch { get; }
    public string LockBatches { get; }
    public string BatchUnfinished { get; }
    public string SetContinuation { get; }
    public string AcquireLock { get; }
    public string RenewLock { get; }
    public string ReleaseLock { get; }
    public string UpsertSchedule { get; }
    public string GetSchedule { get; }
    public string ListSchedules { get; }
    public string RemoveSchedule { get; }
    public string PauseSchedule { get; }
    public string AdvanceSchedule { get; }
    public string ScheduleVersion { get; }
    public string UpsertMetadata { get; }
    public string GetMetadata { get; }
    public string PageMetadata { get; }
    public string RemoveMetadata { get; }
#pragma warning restore CS1591, SA1600
}
