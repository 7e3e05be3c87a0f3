namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.PurgeAsync"/>: delete finished jobs of one state.</summary>
public sealed class PurgeRequest
{
    /// <summary>The finished state to purge (<see cref="JobState.Succeeded"/>, <see cref="JobState.DeadLettered"/> or <see cref="JobState.Cancelled"/>).</summary>
    public required JobState State { get; init; }

    /// <summary>Only jobs that finished before this instant; <see langword="null"/> for all.</summary>
    public DateTimeOffset? FinishedBefore { get; init; }

    /// <summary>The most jobs to delete in one call.</summary>
    /// <value>Defaults to 10,000.</value>
    public int MaxCount { get; init; } = 10_000;

    /// <summary>Checks the request before a store runs it; every backend calls this first, so bad input fails the same way
    /// everywhere.</summary>
    /// <exception cref="ArgumentException"><see cref="State"/> is not a finished state.</exception>
    public void ThrowIfInvalid()
    {
        if (!State.IsFinished())
        {
            throw new ArgumentException($"PurgeRequest.State is {State}; only finished states (Succeeded, DeadLettered, Cancelled) can be purged.", nameof(State));
        }
    }
}
