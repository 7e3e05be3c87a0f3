namespace TaskRunner;

/// <summary>What a recurring schedule does about occurrences missed while no scheduler was running.</summary>
public enum MisfirePolicy
{
    /// <summary>Fire once for all the missed occurrences, then continue on time.</summary>
    FireOnce = 0,

    /// <summary>Fire every missed occurrence, up to the schedule's bound, then continue on time.</summary>
    FireAll = 1,

    /// <summary>Skip missed occurrences; continue with the next one on time.</summary>
    Skip = 2,
}
