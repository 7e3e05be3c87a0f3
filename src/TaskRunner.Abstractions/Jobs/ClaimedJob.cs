namespace TaskRunner;

/// <summary>A job a worker holds a lease on: what it needs to run it and to report the outcome.</summary>
public sealed class ClaimedJob
{
    /// <summary>The job's id.</summary>
    public required JobId Id { get; init; }

    /// <summary>The stable job name.</summary>
    public required string Name { get; init; }

    /// <summary>The queue.</summary>
    public required string Queue { get; init; }

    /// <summary>The serialized payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>This attempt's number, from 1.</summary>
    public required int Attempt { get; init; }

    /// <summary>The attempt limit.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>The per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The lease token: the fencing value every later call about this claim must present.</summary>
    public required long LeaseToken { get; init; }

    /// <summary>When the lease expires unless renewed.</summary>
    public required DateTimeOffset LeaseExpiresAt { get; init; }

    /// <summary>When the job was due.</summary>
    public DateTimeOffset RunAt { get; init; }

    /// <summary>When the job was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The concurrency key, if any.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The batch, if any.</summary>
    public BatchId? BatchId { get; init; }

    /// <summary>The occurrence of a recurring schedule this job was created for (<see cref="NewJob.OccurrenceAt"/>).</summary>
    public DateTimeOffset? OccurrenceAt { get; init; }

    /// <summary>The batch whose continuation this job is; <see langword="null"/> for other jobs.</summary>
    public BatchId? ContinuationOf { get; init; }

    /// <summary>The trace context captured at enqueue.</summary>
    public string? TraceParent { get; init; }
}
