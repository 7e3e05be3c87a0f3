using System.Globalization;

namespace TaskRunner.Sqlite;

/// <summary>
/// Every statement of <see cref="SqliteJobStore"/> and <see cref="SqliteBatches"/>, in one place. Values from callers
/// are always parameters (<c>@name</c>, or <c>?N</c> on the raw enqueue path); the only text spliced in is a state
/// number taken from <see cref="JobState"/> and the column lists of <see cref="SqliteJobRows"/>, so the statements
/// follow the enum and the row readers instead of repeating their numbers and orders by hand.
/// </summary>
/// <remarks>The partial indexes of <see cref="SqliteSchema"/> spell states as the same numbers; SQLite uses a partial
/// index only when a query's terms imply the index's WHERE, which the query-plan tests in <c>SqliteDatabaseTests</c>
/// check for the hot statements.</remarks>
internal static class SqliteJobSql
{
    // The states as SQL literals. Declared first: static fields initialize in text order and the statements use them.
    private static readonly string Scheduled = Literal(JobState.Scheduled);
    private static readonly string Pending = Literal(JobState.Pending);
    private static readonly string Running = Literal(JobState.Running);
    private static readonly string Succeeded = Literal(JobState.Succeeded);
    private static readonly string Failed = Literal(JobState.Failed);
    private static readonly string DeadLettered = Literal(JobState.DeadLettered);
    private static readonly string Cancelled = Literal(JobState.Cancelled);

    /// <summary>The unfinished states, "0, 1, 2, 4": word for word the list of the partial index <c>jobs_unique_key</c>,
    /// which every statement that looks a unique key up repeats so SQLite can use that index.</summary>
    private static readonly string Unfinished = string.Join(", ", Enum.GetValues<JobState>().Where(state => !state.IsFinished()).Select(Literal));

    /// <summary>The finished states, "3, 5, 6": word for word the list of the partial index <c>jobs_finished</c>.</summary>
    public static readonly string FinishedStates = string.Join(", ", Enum.GetValues<JobState>().Where(state => state.IsFinished()).Select(Literal));

    /// <summary>The states waiting for their run-at, "0, 4": word for word the list of the partial index <c>jobs_due</c>.</summary>
    public static readonly string DueStates = $"{Scheduled}, {Failed}";

    // ---- Enqueue ----

    /// <summary>Inserts one job; positional parameters, bound through <see cref="SqliteRawStatement"/>:
    /// <c>?1</c>..<c>?N</c> by <see cref="SqliteJobRows.BindNewJob"/>, then the state, creation time and
    /// <c>continuation_of</c> at <see cref="SqliteJobRows.NewJobColumnCount"/> + 1, + 2, + 3.</summary>
    public static readonly string Insert =
        $"INSERT INTO jobs ({SqliteJobRows.NewJobColumns("")}, state, created_at, continuation_of) " +
        $"VALUES ({SqliteJobRows.NewJobParameters(3)}) ON CONFLICT DO NOTHING RETURNING id";

    public const string FindByIdempotencyKey = "SELECT id FROM jobs WHERE idempotency_key = @key";

    public static readonly string FindByUniqueKey = $"SELECT id FROM jobs WHERE unique_key = @key AND state IN ({Unfinished})";

    /// <summary>Debounce (<see cref="NewJob.DebounceMaxDelay"/>): a waiting keyed job's run-at moves to the new one, capped
    /// at its creation plus the max delay; it is pending when that is already due.</summary>
    /// <remarks>Both debounce statements repeat the unique-key index's "state IN (0, 1, 2, 4)" before their own narrower
    /// state test: SQLite cannot prove that "state IN (0, 1)" implies the index's WHERE (without it, every debounced
    /// enqueue scanned the whole table).</remarks>
    public static readonly string Debounce =
        "UPDATE jobs SET run_at = MIN(@run_at, created_at + @max_delay), " +
        $"state = CASE WHEN MIN(@run_at, created_at + @max_delay) <= @now THEN {Pending} ELSE {Scheduled} END " +
        $"WHERE unique_key = @key AND state IN ({Unfinished}) AND state IN ({Scheduled}, {Pending}) RETURNING id";

    /// <summary>A running keyed job gives up its key to the debounced job queued behind it.</summary>
    public static readonly string ReleaseRunningKey =
        $"UPDATE jobs SET unique_key = NULL WHERE unique_key = @key AND state IN ({Unfinished}) AND state = {Running}";

    // ---- Claim ----

    /// <summary>One range scan per state over jobs_due; promotes every queue at once, which is as cheap as promoting one.</summary>
    public static readonly string Promote = $"UPDATE jobs SET state = {Pending} WHERE state IN ({Scheduled}, {Failed}) AND run_at <= @now";

    /// <summary>The claim, in one statement.</summary>
    /// <remarks>The inner SELECT walks jobs_claim (pending jobs of the queue that may run now, in claim order) and stops
    /// after @limit rows. Jobs waiting for a slot of their concurrency key are not in that index (key_wait = 1, see
    /// SqliteSchema migration 3), so every row walked is claimable and the claim costs the same with a million jobs behind
    /// a busy key. Claim by names (ClaimRequest.JobNames, a JSON array or NULL) filters the same walk: names are not
    /// indexed, so a claim never switches to another plan; jobs of other names are stepped over in the index and left
    /// untouched.</remarks>
    public static readonly string Claim =
        $"UPDATE jobs SET state = {Running}, owner = @owner, lease_token = lease_token + 1, lease_expires_at = @lease_expires_at, " +
        "attempts = attempts + 1, cancel_requested = 0, first_started_at = ifnull(first_started_at, @now), last_started_at = @now " +
        $"WHERE id IN (SELECT j.id FROM jobs j WHERE j.state = {Pending} AND j.key_wait = 0 AND j.queue = @queue " +
        "AND (@names IS NULL OR j.name IN (SELECT value FROM json_each(@names))) " +
        "ORDER BY j.priority DESC, j.run_at, j.id LIMIT @limit) " +
        "RETURNING " + SqliteJobRows.ClaimedColumns;

    /// <summary>ClaimRequest.QueueLimit: the queue's running jobs, read through jobs_queue_running (at most the limit,
    /// once it holds).</summary>
    public static readonly string QueueRunning = $"SELECT count(*) FROM jobs WHERE queue = @queue AND state = {Running}";

    // ---- Leases and completion ----
    // Every write about a claimed job checks "lease_expires_at >= @now": the contract's one rule (IJobStore remarks), the
    // exact complement of recovery's "lease_expires_at < @now", so no instant has a lease both renewable and recoverable.

    /// <summary>All leases of one heartbeat in one statement over a JSON list of [id, token] pairs.</summary>
    public static readonly string Heartbeat =
        "UPDATE jobs SET lease_expires_at = @lease_expires_at " +
        "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS token FROM json_each(@leases)) AS c " +
        $"WHERE jobs.id = c.id AND jobs.lease_token = c.token AND jobs.state = {Running} AND jobs.lease_expires_at >= @now RETURNING jobs.id, jobs.cancel_requested";

    public static readonly string Succeed =
        $"UPDATE jobs SET state = {Succeeded}, result = @result, finished_at = @now, lease_expires_at = NULL " +
        $"WHERE id = @id AND state = {Running} AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    /// <summary>Plain successes (no result) of one CompleteAsync call, applied by one statement over a JSON list of
    /// [id, token] pairs: one execution for the whole list instead of one per job.</summary>
    public static readonly string SucceedMany =
        $"UPDATE jobs SET state = {Succeeded}, result = NULL, finished_at = @now, lease_expires_at = NULL " +
        "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS token FROM json_each(@leases)) AS c " +
        $"WHERE jobs.id = c.id AND jobs.lease_token = c.token AND jobs.state = {Running} AND jobs.lease_expires_at >= @now RETURNING jobs.id, jobs.batch_id";

    public static readonly string Fail =
        $"UPDATE jobs SET state = {Failed}, run_at = @retry_at, error_type = @error_type, error_message = @error_message, error_stack = @error_stack, lease_expires_at = NULL " +
        $"WHERE id = @id AND state = {Running} AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    /// <summary>Dead-letters or cancels a claimed job: @state is <see cref="JobState.DeadLettered"/> or <see cref="JobState.Cancelled"/>.</summary>
    public static readonly string Finish =
        "UPDATE jobs SET state = @state, error_type = @error_type, error_message = @error_message, error_stack = @error_stack, finished_at = @now, lease_expires_at = NULL " +
        $"WHERE id = @id AND state = {Running} AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    public static readonly string Release =
        $"UPDATE jobs SET state = {Pending}, attempts = attempts - 1, lease_expires_at = NULL, cancel_requested = 0 " +
        $"WHERE id = @id AND state = {Running} AND lease_token = @token AND lease_expires_at >= @now RETURNING batch_id";

    public static readonly string Progress =
        $"UPDATE jobs SET progress_percent = @percent, progress_message = @message WHERE id = @id AND state = {Running} AND lease_token = @token AND lease_expires_at >= @now";

    public static readonly string RecoverDead =
        $"UPDATE jobs SET state = {DeadLettered}, finished_at = @now, lease_expires_at = NULL, error_type = 'LeaseExpired', " +
        "error_message = 'The lease of worker ''' || ifnull(owner, '') || ''' expired before attempt ' || attempts || ' of ' || max_attempts || ' finished; no attempts are left.', error_stack = NULL " +
        $"WHERE id IN (SELECT id FROM jobs WHERE state = {Running} AND lease_expires_at < @now AND attempts >= max_attempts LIMIT @limit) RETURNING batch_id";

    public static readonly string RecoverPending =
        $"UPDATE jobs SET state = {Pending}, lease_expires_at = NULL, error_type = 'LeaseExpired', " +
        "error_message = 'The lease of worker ''' || ifnull(owner, '') || ''' expired before attempt ' || attempts || ' of ' || max_attempts || ' finished; the job will run again.', error_stack = NULL " +
        $"WHERE id IN (SELECT id FROM jobs WHERE state = {Running} AND lease_expires_at < @now AND attempts < max_attempts LIMIT @limit)";

    // ---- Administration and queries ----

    public const string State = "SELECT state, batch_id FROM jobs WHERE id = @id";

    public static readonly string CancelWaiting =
        $"UPDATE jobs SET state = {Cancelled}, finished_at = @now WHERE id = @id AND state IN ({Scheduled}, {Pending}, {Failed})";

    public static readonly string RequestCancel = $"UPDATE jobs SET cancel_requested = 1 WHERE id = @id AND state = {Running}";

    /// <summary>OR IGNORE: a dead letter whose unique key is now taken by another active job stays dead-lettered.</summary>
    public static readonly string Requeue =
        $"UPDATE OR IGNORE jobs SET state = {Pending}, attempts = 0, run_at = @now, finished_at = NULL, cancel_requested = 0, lease_expires_at = NULL " +
        $"WHERE id = @id AND state IN ({DeadLettered}, {Cancelled})";

    public const string Get = "SELECT " + SqliteJobRows.RecordColumns + " FROM jobs WHERE id = @id";

    public const string CountAll = "SELECT state, count(*) FROM jobs GROUP BY state";

    public const string CountQueue = "SELECT state, count(*) FROM jobs WHERE queue = @queue GROUP BY state";

    public const string CountBatch = "SELECT state, count(*) FROM jobs WHERE batch_id = @batch_id GROUP BY state";

    public static readonly string NextRunAt =
        $"SELECT min(x) FROM (SELECT min(run_at) AS x FROM jobs WHERE state = {Scheduled} AND run_at > @now " +
        $"UNION ALL SELECT min(run_at) FROM jobs WHERE state = {Failed} AND run_at > @now)";

    /// <summary>The purge of one finished state, one statement per state so each walks jobs_finished.</summary>
    private static readonly Dictionary<JobState, string> PurgeByState = Enum.GetValues<JobState>().Where(JobStateExtensions.IsFinished).ToDictionary(
        state => state,
        state => $"DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = {Literal(state)} AND (@before IS NULL OR finished_at < @before) LIMIT @limit)");

    /// <summary>Deletes one job if it has finished (the state test and the delete are one statement, so a job that is
    /// requeued meanwhile stays).</summary>
    public static readonly string DeleteFinished = $"DELETE FROM jobs WHERE id = @id AND state IN ({FinishedStates})";

    // ---- Batches ----

    /// <summary>Inserts a batch; positional parameters: the continuation's columns (<c>c_</c>) at <c>?1</c>..<c>?N</c>
    /// by <see cref="SqliteJobRows.BindNewJob"/> (all NULL without one), then id, creation time and has_continuation.</summary>
    public static readonly string InsertBatch =
        $"INSERT INTO batches ({SqliteJobRows.NewJobColumns("c_")}, id, created_at, has_continuation) VALUES ({SqliteJobRows.NewJobParameters(3)})";

    /// <summary>A batch row: has_continuation, continuation_id, then the continuation's columns for
    /// <see cref="SqliteJobRows.ReadNewJob"/> from ordinal 2.</summary>
    public static readonly string Batch = $"SELECT has_continuation, continuation_id, {SqliteJobRows.NewJobColumns("c_")} FROM batches WHERE id = @id";

    public static readonly string BatchUnfinished = $"SELECT EXISTS (SELECT 1 FROM jobs WHERE batch_id = @batch_id AND state IN ({Unfinished}))";

    public const string SetContinuation = "UPDATE batches SET continuation_id = @continuation_id WHERE id = @id";

    /// <summary>The purge statement of <paramref name="state"/>, or null when it is not a finished state.</summary>
    public static string? Purge(JobState state) => PurgeByState.GetValueOrDefault(state);

    private static string Literal(JobState state) => ((int)state).ToString(CultureInfo.InvariantCulture);
}
