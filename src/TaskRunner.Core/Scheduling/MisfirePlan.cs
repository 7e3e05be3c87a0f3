namespace TaskRunner;

/// <summary>What a schedule fires now, computed by <see cref="CronSchedule.PlanDue"/>.</summary>
/// <param name="Fire">The occurrences to submit now, ascending.</param>
/// <param name="AdvanceTo">The occurrence to record as the last one; <see langword="null"/> when none was due.</param>
/// <param name="NextDue">The next occurrence after now; <see langword="null"/> when the expression never fires again.</param>
/// <param name="HadMisfires">Whether any due occurrence was older than the misfire threshold.</param>
internal readonly record struct MisfirePlan(IReadOnlyList<DateTimeOffset> Fire, DateTimeOffset? AdvanceTo, DateTimeOffset? NextDue, bool HadMisfires);
