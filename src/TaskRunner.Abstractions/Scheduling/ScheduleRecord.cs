namespace TaskRunner;

/// <summary>A recurring schedule as persisted in an <see cref="IScheduleStore"/>.</summary>
public sealed record ScheduleRecord
{
    /// <summary>The schedule's unique name.</summary>
    public required string Name { get; init; }

    /// <summary>The cron expression (5 or 6 fields).</summary>
    public required string Cron { get; init; }

    /// <summary>The time zone id (IANA or Windows) the expression is read in.</summary>
    public required string TimeZoneId { get; init; }

    /// <summary>The job name each occurrence enqueues.</summary>
    public required string JobName { get; init; }

    /// <summary>The serialized payload of each occurrence's job.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The queue of each occurrence's job; <see langword="null"/> for the job's default.</summary>
    public string? Queue { get; init; }

    /// <summary>What to do about occurrences missed during downtime.</summary>
    public MisfirePolicy MisfirePolicy { get; init; }

    /// <summary>With <see cref="MisfirePolicy.FireAll"/>, the most missed occurrences fired at once.</summary>
    public int MaxMisfires { get; init; } = 100;

    /// <summary>Whether firing is paused.</summary>
    public bool Paused { get; init; }

    /// <summary>The last occurrence (UTC) a job was enqueued for; <see langword="null"/> before the first.</summary>
    public DateTimeOffset? LastOccurrence { get; init; }

    /// <summary>When the schedule was first stored.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the definition last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Bumped by the store on every write; used for compare-and-swap.</summary>
    public long Version { get; init; }
}
