namespace TaskRunner;

/// <summary>A job as handed to <see cref="IJobStore.EnqueueAsync"/>: everything the store persists at creation.</summary>
/// <remarks>The engine fills this from a registration and <see cref="JobOptions"/>; stores take it as given.</remarks>
public sealed class NewJob
{
    /// <summary>The stable job name the handler was registered under (never a CLR type name).</summary>
    public required string Name { get; init; }

    /// <summary>The serialized payload (UTF-8 JSON); empty for none.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The queue the job waits in.</summary>
    /// <value>Defaults to <c>"default"</c>.</value>
    public string Queue { get; init; } = JobOptions.DefaultQueue;

    /// <summary>Higher runs first among due jobs of a queue.</summary>
    public int Priority { get; init; }

    /// <summary>When the job becomes due. At or before <c>now</c> the job is created <see cref="JobState.Pending"/>, else <see cref="JobState.Scheduled"/>.</summary>
    public DateTimeOffset RunAt { get; init; }

    /// <summary>How many times the job may be attempted before it is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>How long one attempt may run before its cancellation token fires; <see langword="null"/> for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>While a job with this key is active (not finished), enqueuing another returns the existing one.</summary>
    public string? UniqueKey { get; init; }

    /// <summary>Debounces enqueues on <see cref="UniqueKey"/> (graphile-worker's <c>job_key</c> replace mode). When set and a
    /// job with the same unique key is waiting (scheduled or pending), the enqueue moves that job's run-at to this job's
    /// <see cref="RunAt"/>, but no later than the waiting job's creation plus this delay, and returns it (not created).
    /// When the keyed job is running, it gives up its unique key and this job is created, so a change made while the
    /// running job works is handled again after it (give both the same <see cref="ConcurrencyKey"/> so they never
    /// overlap). A keyed job waiting for a retry keeps its backoff and is returned as with a plain unique key.
    /// Ignored without a <see cref="UniqueKey"/>.</summary>
    public TimeSpan? DebounceMaxDelay { get; init; }

    /// <summary>At most one job with this key is ever created, for as long as that job's record exists (until purged).
    /// The scheduler uses it for its occurrence keys, so an occurrence fires once across all nodes.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>At most <see cref="ConcurrencyLimit"/> jobs with this key run at a time, across all processes sharing the store.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>How many jobs with <see cref="ConcurrencyKey"/> may run at once, across all processes (1 or more). Jobs of
    /// one key should share one limit: a job takes a slot of its key while fewer than its own limit hold one.</summary>
    /// <value>Defaults to 1.</value>
    public int ConcurrencyLimit { get; init; } = 1;

    /// <summary>Free-form labels, stored and queryable.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The batch the job belongs to, if any.</summary>
    public BatchId? BatchId { get; init; }

    /// <summary>The occurrence of a recurring schedule this job was created for (the cron instant, or the trigger time of a
    /// manual run); <see langword="null"/> for other jobs. Handlers read it as <see cref="JobContext.OccurrenceAt"/>.</summary>
    public DateTimeOffset? OccurrenceAt { get; init; }

    /// <summary>The W3C trace context of the enqueuing activity, so execution continues its trace.</summary>
    public string? TraceParent { get; init; }
}
