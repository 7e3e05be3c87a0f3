namespace TaskRunner;

/// <summary>A batch's progress.</summary>
public sealed class BatchStatus
{
    /// <summary>The batch.</summary>
    public required BatchId Id { get; init; }

    /// <summary>Its jobs' counts by state.</summary>
    public required JobCounts Counts { get; init; }

    /// <summary>Whether every job has finished.</summary>
    public bool IsFinished => Counts.Unfinished == 0;

    /// <summary>The continuation job, once enqueued.</summary>
    public JobId? ContinuationId { get; init; }
}
