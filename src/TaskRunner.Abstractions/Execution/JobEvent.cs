namespace TaskRunner;

/// <summary>One lifecycle moment of a job, passed to <see cref="IJobObserver.OnEvent"/>.</summary>
public readonly record struct JobEvent
{
    /// <summary>What happened.</summary>
    public required JobEventKind Kind { get; init; }

    /// <summary>The job.</summary>
    public required JobId JobId { get; init; }

    /// <summary>The job name.</summary>
    public required string JobName { get; init; }

    /// <summary>The queue.</summary>
    public required string Queue { get; init; }

    /// <summary>The attempt number (0 for <see cref="JobEventKind.Enqueued"/>).</summary>
    public int Attempt { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The execution time, for finished attempts.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The error, for failures and dead letters.</summary>
    public JobError? Error { get; init; }

    /// <summary>The retry time, for <see cref="JobEventKind.Failed"/>.</summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>The percentage, for <see cref="JobEventKind.Progress"/>.</summary>
    public int? ProgressPercent { get; init; }

    /// <summary>The message, for <see cref="JobEventKind.Progress"/>.</summary>
    public string? Message { get; init; }
}
