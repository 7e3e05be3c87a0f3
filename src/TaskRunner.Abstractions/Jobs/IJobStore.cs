namespace TaskRunner;

/// <summary>
/// Durable job storage: the contract every backend (in-memory, SQLite, MongoDB) implements and the shared
/// contract suite checks. Every method that reads the clock takes the time in its arguments, so no store
/// reads a clock of its own. Every write about a claimed job is compare-and-swap on its lease token.
/// </summary>
/// <remarks>
/// <para><b>When a lease is held.</b> A lease (a job and the token of its claim) is held at <c>now</c> while the job is
/// <see cref="JobState.Running"/> under that token and <c>now &lt;= LeaseExpiresAt</c>. Once its expiry has passed
/// (<c>LeaseExpiresAt &lt; now</c>) the lease is lost for <see cref="HeartbeatAsync"/>, <see cref="ReportProgressAsync"/>
/// and <see cref="CompleteAsync"/>, whether or not <see cref="RecoverExpiredLeasesAsync"/> has run yet: that is exactly
/// the condition under which recovery takes the job back, so at no instant is a lease both renewable and recoverable.</para>
/// <para><b>Progress</b> is a percentage from <see cref="JobProgress.MinPercent"/> to <see cref="JobProgress.MaxPercent"/>;
/// every backend rejects other values through <see cref="JobProgress.ThrowIfOutOfRange"/> before touching storage.</para>
/// </remarks>
public interface IJobStore
{
    /// <summary>The optional abilities this store has.</summary>
    JobStoreCapabilities Capabilities { get; }

    /// <summary>Inserts jobs in one atomic step. A job whose <see cref="NewJob.UniqueKey"/> matches an active job, or whose
    /// <see cref="NewJob.IdempotencyKey"/> matches any stored job, is not inserted: its result carries the existing id.</summary>
    /// <returns>One result per job, in order.</returns>
    ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Inserts a batch's jobs and records its continuation, atomically.</summary>
    ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Atomically claims up to <see cref="ClaimRequest.MaxCount"/> due jobs of one queue, ordered by priority
    /// (highest first), then run-at, then id. Due means pending, or scheduled or failed with run-at at or before now.
    /// Only jobs named in <see cref="ClaimRequest.JobNames"/> are claimed, when it is set; others stay pending, untouched.
    /// A job with a concurrency key is claimed only while fewer than its <see cref="NewJob.ConcurrencyLimit"/> jobs with
    /// that key are running (counting those this claim takes), and no more jobs of the queue are claimed than
    /// <see cref="ClaimRequest.QueueLimit"/> less those of the queue running already. Jobs held back by a key must not
    /// make the claim slower: a backend keeps them out of the claim's path (SQLite marks them waiting, outside its claim
    /// index; the in-memory store queues them per key), so claim cost stays flat however many wait behind a busy key.
    /// Each claimed job becomes <see cref="JobState.Running"/> with the owner, a lease expiry, a lease token greater
    /// than any it had before, and its attempt count incremented.</summary>
    ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Extends the leases that are still held at <see cref="HeartbeatRequest.Now"/> (see the remarks on this
    /// interface) to <see cref="HeartbeatRequest.LeaseExpiresAt"/>. A lease whose expiry has passed is reported lost, even
    /// before recovery ran.</summary>
    /// <returns>Which leases were lost and which held jobs have a cancellation request.</returns>
    ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default);

    /// <summary>Applies worker reports, each only if its lease is still held at <see cref="CompleteRequest.Now"/> (running
    /// under its lease token, expiry not passed). When a report finishes the last unfinished job of a batch, the batch's
    /// continuation is enqueued, once.</summary>
    /// <returns>The ids of the reports that were rejected because the lease was no longer held (usually empty).</returns>
    ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stores progress for a running job, if the lease is still held at <see cref="ProgressRequest.Now"/>.</summary>
    /// <returns>Whether the lease is still held.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ProgressRequest.Percent"/> is outside 0 to 100 (<see cref="JobProgress"/>).</exception>
    ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default);

    /// <summary>Returns running jobs whose lease expired before <paramref name="now"/> (<c>LeaseExpiresAt &lt; now</c>, the
    /// same instant their lease stops being held) to <see cref="JobState.Pending"/>
    /// (the lost attempt counts), or dead-letters them when that attempt was their last.</summary>
    ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Cancels a waiting job, or flags a running one for cancellation.</summary>
    ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Moves a dead-lettered (or cancelled) job back to <see cref="JobState.Pending"/> with its attempts reset.</summary>
    /// <returns>Whether the job was found in a state that allows it.</returns>
    ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes one finished job (<see cref="JobState.Succeeded"/>, <see cref="JobState.DeadLettered"/> or
    /// <see cref="JobState.Cancelled"/>) in one atomic step; a job in any other state is left alone. Its idempotency key is
    /// freed with it, as by <see cref="PurgeAsync"/>.</summary>
    /// <returns>Whether the job was found finished and deleted.</returns>
    ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Deletes finished jobs.</summary>
    /// <returns>How many were deleted.</returns>
    ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Lists jobs matching every filter of a query, in id order, at most <see cref="JobQuery.Limit"/> of them after
    /// <see cref="JobQuery.AfterId"/>.</summary>
    /// <exception cref="ArgumentException">The query is invalid (<see cref="JobQuery.ThrowIfInvalid"/>).</exception>
    ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts jobs matching every filter of a query, by state (<see cref="JobQuery.AfterId"/> and
    /// <see cref="JobQuery.Limit"/> are ignored). The default pages through <see cref="ListAsync"/>, which is correct but
    /// reads every matching record: backends count in the store instead.</summary>
    /// <exception cref="ArgumentException">The query is invalid (<see cref="JobQuery.ThrowIfInvalid"/>).</exception>
    async ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        var counts = new long[(int)JobState.Cancelled + 1];
        JobId? after = null;
        while (true)
        {
            var page = await ListAsync(query with { AfterId = after, Limit = JobQuery.MaxLimit },
                cancellationToken).ConfigureAwait(false);
            foreach (var record in page)
            {
                counts[(int)record.State]++;
            }

            if (page.Count < JobQuery.MaxLimit)
            {
                return JobCounts.FromCountsByState(counts);
            }

            after = page[^1].Id;
        }
    }

    /// <summary>Counts jobs by state, for one queue or all (<see langword="null"/>).</summary>
    ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default);

    /// <summary>Reads a batch's progress.</summary>
    ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default);

    /// <summary>The earliest run-at after <paramref name="now"/> among scheduled and failed jobs, so the engine can sleep
    /// until then. Jobs due at or before <paramref name="now"/> are not reported: they are claimable already, and a job
    /// that stays unclaimed (its queue busy or served elsewhere) must not hide the due times after it.</summary>
    /// <param name="now">The current time; a store may treat jobs due by then as pending.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>A value that changes whenever any process writes to the store (see <see cref="JobStoreCapabilities.ChangeVersion"/>).</summary>
    /// <exception cref="NotSupportedException">The store does not declare <see cref="JobStoreCapabilities.ChangeVersion"/>.</exception>
    ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default);
}
