namespace TaskRunner;

/// <summary>Filters for <see cref="IJobStore.ListAsync"/>, paged by id.</summary>
public sealed class JobQuery
{
    /// <summary>Only jobs in this state.</summary>
    public JobState? State { get; init; }

    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs in this batch.</summary>
    public BatchId? BatchId { get; init; }

    /// <summary>Only jobs with an id greater than this (for paging).</summary>
    public JobId? AfterId { get; init; }

    /// <summary>The most jobs to return.</summary>
    /// <value>Defaults to 100.</value>
    public int Limit { get; init; } = 100;
}
