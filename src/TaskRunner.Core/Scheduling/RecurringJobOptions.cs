namespace TaskRunner;

/// <summary>Settings of one recurring schedule, given when it is registered in code or added at run time.</summary>
public sealed class RecurringJobOptions
{
    /// <summary>The time zone the cron expression is read in: an IANA id (<c>Europe/Berlin</c>) or a Windows id
    /// (<c>W. Europe Standard Time</c>).</summary>
    /// <value>Defaults to <c>UTC</c>.</value>
    public string TimeZoneId { get; set; } = "UTC";

    /// <summary>What to do about occurrences missed while no scheduler ran.</summary>
    /// <value>Defaults to <see cref="MisfirePolicy.FireOnce"/>.</value>
    public MisfirePolicy MisfirePolicy { get; set; } = MisfirePolicy.FireOnce;

    /// <summary>With <see cref="MisfirePolicy.FireAll"/>, the most missed occurrences fired at once (the latest ones).</summary>
    /// <value>Defaults to 100. Range 1–10000.</value>
    public int MaxMisfires { get; set; } = 100;

    /// <summary>The queue of each occurrence's job; <see langword="null"/> for the job's registered default.</summary>
    public string? Queue { get; set; }

    /// <summary>The job each occurrence enqueues; <see langword="null"/> for the job registered for the payload type.</summary>
    public string? JobName { get; set; }
}
