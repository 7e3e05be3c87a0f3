namespace TaskRunner.Storage;

/// <summary>One job of the in-memory store: its record, its lease and where it waits (the due queue's flags, its
/// concurrency key's slot). Mutated only under the store's lock.</summary>
internal sealed class InMemoryJob(long id, NewJob job, DateTimeOffset now, BatchId? batchId)
{
    public long Id { get; } = id;

    public string Name { get; } = job.Name;

    public string Queue { get; } = job.Queue;

    public ReadOnlyMemory<byte> Payload { get; } = job.Payload;

    public int Priority { get; } = job.Priority;

    // Instants are kept as UTC ticks and durations as ticks (with a sentinel for "none"): a DateTimeOffset is 16 bytes
    // and a nullable one 24, and the store keeps one entry per job for as long as retention does.
    private const long None = long.MinValue;
    private readonly long _createdAt = now.UtcTicks;
    private readonly long _timeout = job.Timeout?.Ticks ?? None;
    private long _runAt = job.RunAt.UtcTicks; // kept as given: claim order uses it
    private long _leaseExpiresAt;
    private long _finishedAt = None;
    private long _firstStartedAt = None;
    private long _lastStartedAt = None;
    private readonly long _occurrenceAt = job.OccurrenceAt?.UtcTicks ?? None;
    private int _progressPercent = int.MinValue;
    private ReadOnlyMemory<byte> _result;
    private bool _hasResult;

    public DateTimeOffset RunAt
    {
        get => new(_runAt, TimeSpan.Zero);
        set => _runAt = value.UtcTicks;
    }

    public DateTimeOffset CreatedAt => new(_createdAt, TimeSpan.Zero);

    public int MaxAttempts { get; } = job.MaxAttempts;

    public TimeSpan? Timeout => _timeout == None ? null : TimeSpan.FromTicks(_timeout);

    public string? UniqueKey { get; set; } = job.UniqueKey;

    public string? IdempotencyKey { get; } = job.IdempotencyKey;

    public string? ConcurrencyKey { get; } = job.ConcurrencyKey;

    public int ConcurrencyLimit { get; } = job.ConcurrencyLimit;

    public bool HoldsKeySlot { get; set; }

    public bool WaitsForKey { get; set; }

    public IReadOnlyList<string> Tags { get; } = job.Tags;

    public BatchId? BatchId { get; } = batchId;

    public string? TraceParent { get; } = job.TraceParent;

    public JobState State { get; set; }

    public int Attempts { get; set; }

    public long LeaseToken { get; set; }

    public string? Owner { get; set; }

    public DateTimeOffset LeaseExpiresAt
    {
        get => new(_leaseExpiresAt, TimeSpan.Zero);
        set => _leaseExpiresAt = value.UtcTicks;
    }

    public bool CancellationRequested { get; set; }

    public int? ProgressPercent
    {
        get => _progressPercent == int.MinValue ? null : _progressPercent;
        set => _progressPercent = value ?? int.MinValue;
    }

    public string? ProgressMessage { get; set; }

    public ReadOnlyMemory<byte>? Result
    {
        get => _hasResult ? _result : (ReadOnlyMemory<byte>?)null; // a bare null would convert to an empty memory (via byte[])
        set
        {
            _hasResult = value.HasValue;
            _result = value.GetValueOrDefault();
        }
    }

    public JobError? LastError { get; set; }

    public DateTimeOffset? FinishedAt
    {
        get => _finishedAt == None ? null : new DateTimeOffset(_finishedAt, TimeSpan.Zero);
        set => _finishedAt = value?.UtcTicks ?? None;
    }

    public DateTimeOffset? FirstStartedAt => _firstStartedAt == None ? null : new DateTimeOffset(_firstStartedAt, TimeSpan.Zero);

    public DateTimeOffset? LastStartedAt => _lastStartedAt == None ? null : new DateTimeOffset(_lastStartedAt, TimeSpan.Zero);

    public DateTimeOffset? OccurrenceAt => _occurrenceAt == None ? null : new DateTimeOffset(_occurrenceAt, TimeSpan.Zero);

    public BatchId? ContinuationOf { get; init; }

    /// <summary>Whether the job waits in its queue's due heap (<see cref="InMemoryDueQueue"/>); heap entries of a job
    /// without it are stale and dropped when they come up.</summary>
    public bool InDueHeap { get; set; }

    /// <summary>Whether the job waits in the delayed heap, under its current run-at.</summary>
    public bool InDelayedHeap { get; set; }

    public DueOrder DueOrder => new(-Priority, _runAt, Id);

    public void MarkStarted(DateTimeOffset now)
    {
        _lastStartedAt = now.UtcTicks;
        if (_firstStartedAt == None)
        {
            _firstStartedAt = _lastStartedAt;
        }
    }

    public ClaimedJob ToClaimed() => new()
    {
        Id = new JobId(Id),
        Name = Name,
        Queue = Queue,
        Payload = Payload,
        Attempt = Attempts,
        MaxAttempts = MaxAttempts,
        Timeout = Timeout,
        LeaseToken = LeaseToken,
        LeaseExpiresAt = LeaseExpiresAt,
        RunAt = RunAt,
        CreatedAt = CreatedAt,
        ConcurrencyKey = ConcurrencyKey,
        Tags = Tags,
        BatchId = BatchId,
        OccurrenceAt = OccurrenceAt,
        ContinuationOf = ContinuationOf,
        TraceParent = TraceParent,
    };

    public JobRecord ToRecord() => new()
    {
        Id = new JobId(Id),
        Name = Name,
        Queue = Queue,
        Payload = Payload,
        State = State,
        Priority = Priority,
        RunAt = RunAt,
        CreatedAt = CreatedAt,
        Attempts = Attempts,
        MaxAttempts = MaxAttempts,
        Timeout = Timeout,
        UniqueKey = UniqueKey,
        IdempotencyKey = IdempotencyKey,
        ConcurrencyKey = ConcurrencyKey,
        ConcurrencyLimit = ConcurrencyLimit,
        Tags = Tags,
        BatchId = BatchId,
        Owner = Owner,
        LeaseToken = LeaseToken,
        LeaseExpiresAt = State == JobState.Running ? LeaseExpiresAt : null,
        CancellationRequested = CancellationRequested,
        ProgressPercent = ProgressPercent,
        ProgressMessage = ProgressMessage,
        Result = Result,
        LastError = LastError,
        FinishedAt = FinishedAt,
        FirstStartedAt = FirstStartedAt,
        LastStartedAt = LastStartedAt,
        OccurrenceAt = OccurrenceAt,
        ContinuationOf = ContinuationOf,
        TraceParent = TraceParent,
    };
}
