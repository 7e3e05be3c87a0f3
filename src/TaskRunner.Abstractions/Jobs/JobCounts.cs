namespace TaskRunner;

/// <summary>Job counts by state.</summary>
public sealed class JobCounts
{
    /// <summary>Jobs waiting for a future run-at.</summary>
    public long Scheduled { get; init; }

    /// <summary>Jobs ready to run.</summary>
    public long Pending { get; init; }

    /// <summary>Jobs running.</summary>
    public long Running { get; init; }

    /// <summary>Jobs succeeded (until purged).</summary>
    public long Succeeded { get; init; }

    /// <summary>Jobs waiting for a retry.</summary>
    public long Failed { get; init; }

    /// <summary>Dead-lettered jobs.</summary>
    public long DeadLettered { get; init; }

    /// <summary>Cancelled jobs.</summary>
    public long Cancelled { get; init; }

    /// <summary>All jobs counted.</summary>
    public long Total => Scheduled + Pending + Running + Succeeded + Failed + DeadLettered + Cancelled;

    /// <summary>Jobs not yet finished.</summary>
    public long Unfinished => Scheduled + Pending + Running + Failed;

    /// <summary>Counts from one count per state, indexed by the state's value — the shape a backend's count query fills, so
    /// every backend maps it the same way.</summary>
    /// <param name="countsByState">The count of each state at the index of its <see cref="JobState"/> value.</param>
    /// <returns>The counts.</returns>
    /// <exception cref="ArgumentException"><paramref name="countsByState"/> has no entry for some state.</exception>
    public static JobCounts FromCountsByState(ReadOnlySpan<long> countsByState)
    {
        if (countsByState.Length <= (int)JobState.Cancelled)
        {
            throw new ArgumentException($"{countsByState.Length} counts were given; one per job state ({(int)JobState.Cancelled + 1}) is needed.", nameof(countsByState));
        }

        return new JobCounts
        {
            Scheduled = countsByState[(int)JobState.Scheduled],
            Pending = countsByState[(int)JobState.Pending],
            Running = countsByState[(int)JobState.Running],
            Succeeded = countsByState[(int)JobState.Succeeded],
            Failed = countsByState[(int)JobState.Failed],
            DeadLettered = countsByState[(int)JobState.DeadLettered],
            Cancelled = countsByState[(int)JobState.Cancelled],
        };
    }

    /// <summary>The count for one state.</summary>
    public long this[JobState state] => state switch
    {
        JobState.Scheduled => Scheduled,
        JobState.Pending => Pending,
        JobState.Running => Running,
        JobState.Succeeded => Succeeded,
        JobState.Failed => Failed,
        JobState.DeadLettered => DeadLettered,
        JobState.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };
}
