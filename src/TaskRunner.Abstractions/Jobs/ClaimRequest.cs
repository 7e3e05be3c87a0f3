namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.ClaimAsync"/>.</summary>
public sealed class ClaimRequest
{
    /// <summary>The queue to claim from.</summary>
    public required string Queue { get; init; }

    /// <summary>The most jobs to claim.</summary>
    public required int MaxCount { get; init; }

    /// <summary>The claiming worker's id, stored as the lease owner.</summary>
    public required string Owner { get; init; }

    /// <summary>The current time; jobs due at or before it are claimable.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>How long the lease lasts from <see cref="Now"/> unless renewed.</summary>
    public required TimeSpan LeaseDuration { get; init; }
}
