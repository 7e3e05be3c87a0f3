namespace TaskRunner.Mongo;

/// <summary>The field names of the backend's documents. Instants are UTC ticks (<c>long</c>: exact to 100 ns, like every
/// other backend), durations ticks, states <see cref="JobState"/> numbers, batch ids UUIDs (binary subtype 4). Optional
/// values are left out rather than stored as null, so the unique partial indexes (<c>$exists</c>) see only set keys.</summary>
internal static class MongoFields
{
#pragma warning disable CS1591, SA1600 // Field names; the document shapes are described on MongoJobDocuments.
    public const string Id = "_id";
    public const string Name = "name";
    public const string Queue = "queue";
    public const string Payload = "payload";
    public const string State = "state";
    public const string Priority = "priority";
    public const string RunAt = "runAt";
    public const string CreatedAt = "createdAt";
    public const string Attempts = "attempts";
    public const string MaxAttempts = "maxAttempts";
    public const string Timeout = "timeout";
    public const string UniqueKey = "uniqueKey";
    public const string ActiveKey = "activeKey";
    public const string IdempotencyKey = "idempotencyKey";
    public const string ConcurrencyKey = "concurrencyKey";
    public const string ConcurrencyLimit = "concurrencyLimit";
    public const string Wait = "wait";
    public const string Tags = "tags";
    public const string BatchId = "batchId";
    public const string Owner = "owner";
    public const string LeaseToken = "leaseToken";
    public const string LeaseExpiresAt = "leaseExpiresAt";
    public const string CancelRequested = "cancelRequested";
    public const string ProgressPercent = "progressPercent";
    public const string ProgressMessage = "progressMessage";
    public const string Result = "result";
    public const string Error = "error";
    public const string ErrorType = "type";
    public const string ErrorMessage = "message";
    public const string ErrorStack = "stack";
    public const string FinishedAt = "finishedAt";
    public const string TraceParent = "traceParent";
    public const string FirstStartedAt = "firstStartedAt";
    public const string LastStartedAt = "lastStartedAt";
    public const string OccurrenceAt = "occurrenceAt";
    public const string ContinuationOf = "continuationOf";
    public const string ClaimTag = "claimTag";
    public const string ReportTag = "reportTag";

    public const string Continuation = "continuation";
    public const string ContinuationId = "continuationId";
    public const string Turn = "turn";
    public const string Sequence = "seq";

    public const string LockOwner = "owner";
    public const string LockToken = "token";
    public const string LockExpiresAt = "expiresAt";
    public const string LockCleanupAt = "cleanupAt";
#pragma warning restore CS1591, SA1600
}
