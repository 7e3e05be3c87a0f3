namespace TaskRunner;

/// <summary>A recurring schedule as listed by <see cref="IRecurringJobs"/>, with its next occurrence.</summary>
public sealed record RecurringJobInfo
{
    /// <summary>The schedule as stored.</summary>
    public required ScheduleRecord Schedule { get; init; }

    /// <summary>The next occurrence (with the schedule zone's offset); <see langword="null"/> when paused or when the
    /// expression never fires again.</summary>
    public DateTimeOffset? NextOccurrence { get; init; }
}
