namespace TaskRunner;

/// <summary>Settings of one recurring schedule, given when it is registered in code or added at run time.</summary>
public sealed class RecurringJobOptions
{
    /// <summary>The time zone the cron expression is read in: an IANA id (<c>Europe/Berlin</c>) or a Windows id
    /// (<c>W. Europe Standard Time</c>).</summary>
    /// <value>Defaults to <c>UTC</c>.</value>
    /// <remarks>
    /// Daylight saving time follows Cronos (as Vixie cron does). Spring gap: an occurrence whose local time does not exist
    /// (e.g. <c>30 2 * * *</c> in Europe/Berlin on the last Sunday of March) fires once at the first instant after the gap
    /// (03:00 local); occurrences of interval expressions inside the gap collapse onto that instant, which fires once.
    /// Autumn overlap: an expression with fixed second, minute and hour fields (e.g. <c>30 1 * * *</c> in America/New_York)
    /// fires once, in the first (daylight time) pass of the repeated hour; an interval expression (a <c>*</c>, range or
    /// step in the second, minute or hour field, e.g. <c>*/30 * * * *</c>) fires in both passes. Every occurrence is
    /// identified by its UTC instant, so the two passes never collide.
    /// </remarks>
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
