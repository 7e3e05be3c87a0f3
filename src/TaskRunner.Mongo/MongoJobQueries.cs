using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>
/// The filters, sorts and updates of the job store, built here so the tests can render each one with the driver and
/// compare it with the document the server must receive. Every instant is a parameter (<c>now</c> comes from the caller);
/// no value is ever spliced into an expression.
/// </summary>
internal static class MongoJobQueries
{
    /// <summary>The states in which a job is active (its unique key dedupes): Scheduled, Pending, Running, Failed.</summary>
    public static readonly int[] ActiveStates = [(int)JobState.Scheduled, (int)JobState.Pending, (int)JobState.Running, (int)JobState.Failed];

    /// <summary>The states of a job waiting for its run-at: Scheduled and Failed (a retry).</summary>
    public static readonly int[] DueStates = [(int)JobState.Scheduled, (int)JobState.Failed];

    private static FilterDefinitionBuilder<BsonDocument> Filter => Builders<BsonDocument>.Filter;

    private static UpdateDefinitionBuilder<BsonDocument> Update => Builders<BsonDocument>.Update;

    /// <summary>The contract's claim order: priority (highest first), run-at, id. Matches the <c>claim</c> index.</summary>
    public static SortDefinition<BsonDocument> ClaimOrder { get; } =
        Builders<BsonDocument>.Sort.Descending(F.Priority).Ascending(F.RunAt).Ascending(F.Id);

    public static FilterDefinition<BsonDocument> CounterFilter(string name) => Filter.Eq(F.Id, name);

    public static FilterDefinition<BsonDocument> ById(long id) => Filter.Eq(F.Id, id);

    public static FilterDefinition<BsonDocument> ByIds(IEnumerable<long> ids) => Filter.In(F.Id, ids);

    /// <summary>Claimable jobs of a queue: pending and holding their slot (the <c>claim</c> index's partial filter), with one
    /// of <paramref name="names"/> when given (an empty set matches nothing).</summary>
    public static FilterDefinition<BsonDocument> Claimable(string queue, IReadOnlyCollection<string>? names)
    {
        var filter = Filter.Eq(F.Queue, queue) & Filter.Eq(F.State, (int)JobState.Pending) & Filter.Eq(F.Wait, false);
        return names is null ? filter : filter & Filter.In(F.Name, names);
    }

    /// <summary>Takes the candidates a claim found, each only if it is still claimable (another claimer may have taken it
    /// since the read): running under the owner, a new lease and lease token, the attempt counted.</summary>
    public static FilterDefinition<BsonDocument> ClaimTake(IEnumerable<long> ids) =>
        ByIds(ids) & Filter.Eq(F.State, (int)JobState.Pending) & Filter.Eq(F.Wait, false);

    public static UpdateDefinition<BsonDocument> Claim(string owner, DateTimeOffset leaseExpiresAt, DateTimeOffset now, ObjectId claimTag) =>
        Update.Set(F.State, (int)JobState.Running)
            .Set(F.Owner, owner)
            .Set(F.LeaseExpiresAt, leaseExpiresAt.UtcTicks)
            .Set(F.LastStartedAt, now.UtcTicks)
            .Set(F.CancelRequested, false)
            .Set(F.ClaimTag, claimTag)
            .Min(F.FirstStartedAt, now.UtcTicks)
            .Inc(F.LeaseToken, 1L)
            .Inc(F.Attempts, 1);

    public static FilterDefinition<BsonDocument> ClaimedBy(ObjectId claimTag) =>
        Filter.Eq(F.ClaimTag, claimTag) & Filter.Eq(F.State, (int)JobState.Running);

    /// <summary>Due scheduled jobs and retries without a concurrency key: they simply become pending.</summary>
    public static FilterDefinition<BsonDocument> DueUnkeyed(DateTimeOffset now) =>
        Filter.In(F.State, DueStates) & Filter.Lte(F.RunAt, now.UtcTicks) & Filter.Exists(F.ConcurrencyKey, false);

    /// <summary>Due scheduled jobs and retries with a concurrency key: they become pending and wait for a slot.</summary>
    public static FilterDefinition<BsonDocument> DueKeyed(DateTimeOffset now) =>
        Filter.In(F.State, DueStates) & Filter.Lte(F.RunAt, now.UtcTicks) & Filter.Exists(F.ConcurrencyKey);

    public static UpdateDefinition<BsonDocument> Promote(bool keyed) =>
        Update.Set(F.State, (int)JobState.Pending).Set(F.Wait, keyed);

    /// <summary>A lease still held at <paramref name="now"/>: running under the token, expiry not passed (IJobStore remarks).</summary>
    public static FilterDefinition<BsonDocument> Held(long id, long leaseToken, DateTimeOffset now) =>
        ById(id) & Filter.Eq(F.State, (int)JobState.Running) & Filter.Eq(F.LeaseToken, leaseToken) & Filter.Gte(F.LeaseExpiresAt, now.UtcTicks);

    /// <summary>Every lease of a heartbeat that is still held, in one filter.</summary>
    public static FilterDefinition<BsonDocument> HeldAny(IReadOnlyList<JobLease> leases, DateTimeOffset now) =>
        Filter.Or(leases.Select(l => ById(l.Id.Value) & Filter.Eq(F.LeaseToken, l.LeaseToken))) &
        Filter.Eq(F.State, (int)JobState.Running) & Filter.Gte(F.LeaseExpiresAt, now.UtcTicks);

    public static UpdateDefinition<BsonDocument> Heartbeat(DateTimeOffset leaseExpiresAt) => Update.Set(F.LeaseExpiresAt, leaseExpiresAt.UtcTicks);

    public static UpdateDefinition<BsonDocument> Progress(int percent, string? message) =>
        Update.Set(F.ProgressPercent, percent).Set(F.ProgressMessage, message is null ? BsonNull.Value : (BsonValue)message);

    /// <summary>The update a worker report applies (only under <see cref="Held"/>). A finished job gives up its unique key
    /// (<c>activeKey</c>); a released one counts no attempt; every report ends the lease.</summary>
    public static UpdateDefinition<BsonDocument> Complete(JobCompletion completion, DateTimeOffset now, ObjectId reportTag)
    {
        var update = Update.Set(F.ReportTag, reportTag).Unset(F.LeaseExpiresAt);
        switch (completion.Outcome)
        {
            case JobOutcome.Succeeded:
                update = update.Set(F.State, (int)JobState.Succeeded).Set(F.FinishedAt, now.UtcTicks).Unset(F.ActiveKey);
                return completion.Result is { } result ? update.Set(F.Result, new BsonBinaryData(result.ToArray())) : update;
            case JobOutcome.Failed:
                return update.Set(F.State, (int)JobState.Failed).Set(F.RunAt, (completion.RetryAt ?? now).UtcTicks).Set(F.Error, Error(completion.Error));
            case JobOutcome.DeadLettered:
                return update.Set(F.State, (int)JobState.DeadLettered).Set(F.FinishedAt, now.UtcTicks).Set(F.Error, Error(completion.Error)).Unset(F.ActiveKey);
            case JobOutcome.Cancelled:
                return update.Set(F.State, (int)JobState.Cancelled).Set(F.FinishedAt, now.UtcTicks).Set(F.Error, Error(completion.Error)).Unset(F.ActiveKey);
            case JobOutcome.Released:
                return update.Set(F.State, (int)JobState.Pending).Set(F.CancelRequested, false).Inc(F.Attempts, -1);
            default:
                throw new ArgumentOutOfRangeException(nameof(completion), completion.Outcome, "Unknown job outcome.");
        }
    }

    public static FilterDefinition<BsonDocument> ReportedBy(ObjectId reportTag, IEnumerable<long> ids) => ByIds(ids) & Filter.Eq(F.ReportTag, reportTag);

    /// <summary>Running jobs whose lease expired before <paramref name="now"/>: the jobs recovery takes back.</summary>
    public static FilterDefinition<BsonDocument> Expired(DateTimeOffset now) =>
        Filter.Eq(F.State, (int)JobState.Running) & Filter.Lt(F.LeaseExpiresAt, now.UtcTicks);

    /// <summary>Takes back one expired job (read with its token): pending again, or dead-lettered when that was its last
    /// attempt. The filter repeats the expiry, so a lease extended since the read is left alone.</summary>
    public static FilterDefinition<BsonDocument> ExpiredOne(long id, long leaseToken, DateTimeOffset now) =>
        ById(id) & Filter.Eq(F.LeaseToken, leaseToken) & Expired(now);

    public static UpdateDefinition<BsonDocument> Recover(bool deadLetter, string? owner, int attempts, int maxAttempts, DateTimeOffset now)
    {
        var message = $"The lease of worker '{owner}' expired before attempt {attempts} of {maxAttempts} " +
            (deadLetter ? "finished; no attempts are left." : "finished; the job will run again.");
        var update = Update.Unset(F.LeaseExpiresAt).Set(F.Error, new BsonDocument { { F.ErrorType, "LeaseExpired" }, { F.ErrorMessage, message } });
        return deadLetter
            ? update.Set(F.State, (int)JobState.DeadLettered).Set(F.FinishedAt, now.UtcTicks).Unset(F.ActiveKey)
            : update.Set(F.State, (int)JobState.Pending);
    }

    /// <summary>Cancels a job still waiting (scheduled, pending or failed); it gives up its unique key.</summary>
    public static FilterDefinition<BsonDocument> Waiting(long id) =>
        ById(id) & Filter.In(F.State, new[] { (int)JobState.Scheduled, (int)JobState.Pending, (int)JobState.Failed });

    public static UpdateDefinition<BsonDocument> Cancel(DateTimeOffset now) =>
        Update.Set(F.State, (int)JobState.Cancelled).Set(F.FinishedAt, now.UtcTicks).Set(F.Wait, false).Unset(F.ActiveKey);

    public static FilterDefinition<BsonDocument> RunningOne(long id) => ById(id) & Filter.Eq(F.State, (int)JobState.Running);

    public static UpdateDefinition<BsonDocument> RequestCancel() => Update.Set(F.CancelRequested, true);

    /// <summary>A dead-lettered or cancelled job back to pending with its attempts reset; it takes its unique key again (a
    /// duplicate-key error then means another active job holds it, and the job stays where it is).</summary>
    public static FilterDefinition<BsonDocument> Requeueable(long id) =>
        ById(id) & Filter.In(F.State, new[] { (int)JobState.DeadLettered, (int)JobState.Cancelled });

    public static UpdateDefinition<BsonDocument> Requeue(DateTimeOffset now, string? uniqueKey, bool keyed)
    {
        var update = Update.Set(F.State, (int)JobState.Pending).Set(F.Attempts, 0).Set(F.RunAt, now.UtcTicks)
            .Set(F.CancelRequested, false).Set(F.Wait, keyed).Unset(F.FinishedAt).Unset(F.LeaseExpiresAt);
        return uniqueKey is null ? update : update.Set(F.ActiveKey, uniqueKey);
    }

    public static FilterDefinition<BsonDocument> Purgeable(JobState state, DateTimeOffset? finishedBefore)
    {
        var filter = Filter.Eq(F.State, (int)state) & Filter.Exists(F.FinishedAt);
        return finishedBefore is { } before ? filter & Filter.Lt(F.FinishedAt, before.UtcTicks) : filter;
    }

    /// <summary>The job <paramref name="id"/> if it has finished (succeeded, dead-lettered or cancelled).</summary>
    public static FilterDefinition<BsonDocument> FinishedById(long id) =>
        ById(id) & Filter.In(F.State, new[] { (int)JobState.Succeeded, (int)JobState.DeadLettered, (int)JobState.Cancelled });

    /// <summary>The jobs matching every filter of <paramref name="query"/> that is set, after its <c>AfterId</c>.</summary>
    public static FilterDefinition<BsonDocument> List(JobQuery query) =>
        Filter.Gt(F.Id, query.AfterId?.Value ?? long.MinValue) & Matching(query);

    /// <summary>The jobs matching every filter of <paramref name="query"/> that is set (paging ignored): only the set
    /// filters appear, so the planner can pick the index of a selective one. Ranges include their start, exclude their end;
    /// a tag matches an element of the <c>tags</c> array.</summary>
    public static FilterDefinition<BsonDocument> Matching(JobQuery query)
    {
        var filter = Filter.Empty;
        if (query.State is { } state)
        {
            filter &= Filter.Eq(F.State, (int)state);
        }

        if (query.Queue is { } queue)
        {
            filter &= Filter.Eq(F.Queue, queue);
        }

        if (query.JobName is { } name)
        {
            filter &= Filter.Eq(F.Name, name);
        }

        if (query.BatchId is { } batch)
        {
            filter &= Filter.Eq(F.BatchId, MongoJobDocuments.Uuid(batch.Value));
        }

        if (query.Tag is { } tag)
        {
            filter &= Filter.AnyEq(F.Tags, tag);
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            filter &= Filter.Gte(F.CreatedAt, createdFrom.UtcTicks);
        }

        if (query.CreatedBefore is { } createdBefore)
        {
            filter &= Filter.Lt(F.CreatedAt, createdBefore.UtcTicks);
        }

        if (query.FinishedFrom is { } finishedFrom)
        {
            filter &= Filter.Gte(F.FinishedAt, finishedFrom.UtcTicks);
        }

        if (query.FinishedBefore is { } finishedBefore)
        {
            filter &= Filter.Lt(F.FinishedAt, finishedBefore.UtcTicks);
        }

        return filter;
    }

    /// <summary>Scheduled jobs and retries due after <paramref name="now"/> (the next one the engine sleeps for).</summary>
    public static FilterDefinition<BsonDocument> DueLater(DateTimeOffset now) => Filter.In(F.State, DueStates) & Filter.Gt(F.RunAt, now.UtcTicks);

    /// <summary>The jobs that hold a slot of <paramref name="key"/>: pending with a slot, or running.</summary>
    public static FilterDefinition<BsonDocument> KeyHolders(string key) =>
        Filter.Eq(F.ConcurrencyKey, key) & Filter.In(F.State, new[] { (int)JobState.Pending, (int)JobState.Running }) & Filter.Eq(F.Wait, false);

    /// <summary>The pending jobs of <paramref name="key"/> waiting for a slot (read in claim order).</summary>
    public static FilterDefinition<BsonDocument> KeyWaiting(string key) =>
        Filter.Eq(F.ConcurrencyKey, key) & Filter.Eq(F.State, (int)JobState.Pending) & Filter.Eq(F.Wait, true);

    /// <summary>Gives a waiting job its slot (only if it still waits).</summary>
    public static FilterDefinition<BsonDocument> StillWaiting(long id) => ById(id) & Filter.Eq(F.State, (int)JobState.Pending) & Filter.Eq(F.Wait, true);

    public static UpdateDefinition<BsonDocument> TakeSlot() => Update.Set(F.Wait, false);

    /// <summary>Writes the key's (or queue's, or batch's) turn document: in a transaction, two writers of one turn document
    /// conflict, so the writers of one key take turns (the driver retries the loser).</summary>
    public static UpdateDefinition<BsonDocument> TakeTurn() => Update.Inc(F.Turn, 1L);

    public static FilterDefinition<BsonDocument> Unfinished(Guid batchId) =>
        Filter.Eq(F.BatchId, MongoJobDocuments.Uuid(batchId)) & Filter.In(F.State, ActiveStates);

    /// <summary>A batch whose continuation was not enqueued yet.</summary>
    public static FilterDefinition<BsonDocument> ContinuationPending(Guid batchId) =>
        Filter.Eq(F.Id, MongoJobDocuments.Uuid(batchId)) & Filter.Exists(F.Continuation) & Filter.Eq(F.ContinuationId, BsonNull.Value);

    /// <summary>Records the continuation's id, once: the first finisher to set it enqueues the continuation.</summary>
    public static UpdateDefinition<BsonDocument> SetContinuation(long id) => Update.Set(F.ContinuationId, id);

    /// <summary>Existing jobs holding any of the keys: an idempotency key (any job) or an active unique key.</summary>
    public static FilterDefinition<BsonDocument> ByKeys(IReadOnlyCollection<string> idempotencyKeys, IReadOnlyCollection<string> uniqueKeys) =>
        Filter.Or(Filter.In(F.IdempotencyKey, idempotencyKeys), Filter.In(F.ActiveKey, uniqueKeys));

    /// <summary>The waiting job (scheduled or pending) holding unique key <paramref name="key"/>, for a debounce.</summary>
    public static FilterDefinition<BsonDocument> ActiveByKey(string key) => Filter.Eq(F.ActiveKey, key);

    /// <summary>Moves a debounced job only if it is still as read (compare-and-swap on state and run-at).</summary>
    public static FilterDefinition<BsonDocument> Unchanged(long id, int state, long runAt) =>
        ById(id) & Filter.Eq(F.State, state) & Filter.Eq(F.RunAt, runAt);

    public static UpdateDefinition<BsonDocument> Debounce(DateTimeOffset runAt, JobState state, bool wait) =>
        Update.Set(F.RunAt, runAt.UtcTicks).Set(F.State, (int)state).Set(F.Wait, wait);

    /// <summary>A running keyed job gives up its unique key to the debounced job queued behind it.</summary>
    public static FilterDefinition<BsonDocument> RunningByKey(string key) => Filter.Eq(F.ActiveKey, key) & Filter.Eq(F.State, (int)JobState.Running);

    public static UpdateDefinition<BsonDocument> GiveUpKey() => Update.Unset(F.ActiveKey).Unset(F.UniqueKey);

    private static BsonValue Error(JobError? error) => error is null
        ? BsonNull.Value
        : new BsonDocument
        {
            { F.ErrorType, error.Type },
            { F.ErrorMessage, error.Message },
            { F.ErrorStack, error.StackTrace is null ? BsonNull.Value : (BsonValue)error.StackTrace },
        };
}
