using System.Globalization;

namespace TaskRunner.Tests.Scheduling;

public sealed class MisfirePlanTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);

    // An hourly schedule whose last occurrence was 10:00 UTC; the rows vary "now" (the end of an outage), the policy and
    // the bound. Fired occurrences are listed as UTC hours:minutes.
    public static TheoryData<string, MisfirePolicy, int, string[], string?, string> Cases() => new()
    {
        // Outage until 15:20: 11:00-15:00 were missed. FireOnce fires the latest missed one.
        { "15:20", MisfirePolicy.FireOnce, 100, ["15:00"], "15:00", "16:00" },
        // FireAll fires every missed one, oldest first.
        { "15:20", MisfirePolicy.FireAll, 100, ["11:00", "12:00", "13:00", "14:00", "15:00"], "15:00", "16:00" },
        // FireAll is bounded: only the latest two of five.
        { "15:20", MisfirePolicy.FireAll, 2, ["14:00", "15:00"], "15:00", "16:00" },
        // Skip fires nothing but still records 15:00 as done, and continues at 16:00.
        { "15:20", MisfirePolicy.Skip, 100, [], "15:00", "16:00" },
        // Back 30 s after 15:00: 15:00 is on time (within the 1 min threshold) and fires under every policy; the
        // missed ones before it follow the policy.
        { "15:00:30", MisfirePolicy.FireOnce, 100, ["14:00", "15:00"], "15:00", "16:00" },
        { "15:00:30", MisfirePolicy.FireAll, 100, ["11:00", "12:00", "13:00", "14:00", "15:00"], "15:00", "16:00" },
        { "15:00:30", MisfirePolicy.Skip, 100, ["15:00"], "15:00", "16:00" },
        // No outage: exactly at 11:00 the one due occurrence fires under every policy.
        { "11:00", MisfirePolicy.Skip, 100, ["11:00"], "11:00", "12:00" },
        { "11:00", MisfirePolicy.FireOnce, 100, ["11:00"], "11:00", "12:00" },
        // Exactly on the threshold (60 s late) counts as missed: Skip drops it.
        { "11:01", MisfirePolicy.Skip, 100, [], "11:00", "12:00" },
        // Nothing due yet: nothing fires, nothing is recorded, the next due time is 11:00.
        { "10:30", MisfirePolicy.FireAll, 100, [], null, "11:00" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Policy_decides_what_fires_after_an_outage(string now, MisfirePolicy policy, int bound, string[] expectedFire, string? expectedAdvance, string expectedNext)
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");

        var plan = schedule.PlanDue(At("10:00"), At(now), policy, bound, Threshold);

        Assert.Equal(expectedFire.Select(At), plan.Fire);
        Assert.Equal(expectedAdvance is null ? null : At(expectedAdvance), plan.AdvanceTo);
        Assert.Equal(At(expectedNext), plan.NextDue);
    }

    [Theory]
    // A long outage is reported as misfires.
    [InlineData("15:20", true)]
    // Firing on time is not.
    [InlineData("11:00:30", false)]
    public void Plan_reports_whether_occurrences_were_missed(string now, bool expected)
    {
        var plan = CronSchedule.Parse("0 * * * *", "UTC").PlanDue(At("10:00"), At(now), MisfirePolicy.FireOnce, 100, Threshold);

        Assert.Equal(expected, plan.HadMisfires);
    }

    private static DateTimeOffset At(string time) =>
        new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) + TimeSpan.Parse(time, CultureInfo.InvariantCulture);
}
