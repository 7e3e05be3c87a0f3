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

    /// <summary>The job names the claimer can run: jobs with other names are left pending for another worker (a rolling
    /// deploy's old workers leave new job types alone). <see langword="null"/> claims any name.</summary>
    /// <value>Defaults to <see langword="null"/> (any name). Pass a set (<see cref="ISet{T}"/> or
    /// <see cref="IReadOnlySet{T}"/>) reused across claims: a backend may cache what it derives from the instance.</value>
    public IReadOnlyCollection<string>? JobNames { get; init; }

    /// <summary>The most jobs of <see cref="Queue"/> that may be running at once across all processes, counting those
    /// running already: the claim takes at most this many less the running ones. <see langword="null"/> for no limit.</summary>
    public int? QueueLimit { get; init; }
}
