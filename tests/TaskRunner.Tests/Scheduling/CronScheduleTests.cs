using System.Globalization;

namespace TaskRunner.Tests.Scheduling;

public sealed class CronScheduleTests
{
    // Each row: expression, zone, the UTC instant to search after, and the expected next occurrences as local
    // "yyyy-MM-ddTHH:mm:sszzz" (the offset shows which side of a DST transition each one is on).
    // Europe/Berlin 2026: clocks jump 02:00 CET -> 03:00 CEST on 29 March (01:00 UTC) and fall back
    // 03:00 CEST -> 02:00 CET on 25 October (01:00 UTC), so 02:00-02:59 local happens twice.
    // America/New_York 2026: 02:00 EST -> 03:00 EDT on 8 March (07:00 UTC); 02:00 EDT -> 01:00 EST on 1 November
    // (06:00 UTC), so 01:00-01:59 local happens twice.
    public static TheoryData<string, string, string, string[]> DstCases() => new()
    {
        // Berlin spring gap, fixed time: 02:30 does not exist on 29 March; Cronos fires once at the first valid
        // instant after the gap (03:00 CEST), then 02:30 again on the following days.
        { "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"] },
        // Berlin spring gap, interval: 02:00 and 02:30 do not exist; they collapse onto 03:00 CEST, which fires once.
        { "*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"] },
        // Berlin autumn overlap, fixed time: 02:30 happens twice; a non-interval expression fires only in the first
        // (CEST) pass, and on the next day at 02:30 CET.
        { "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"] },
        // Berlin autumn overlap, interval: fires in both passes of the repeated hour (distinct UTC instants).
        { "*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"] },
        // Berlin, Windows id: the same rules through the Windows zone name.
        { "30 2 * * *", "W. Europe Standard Time", "2026-03-28T12:00:00Z", ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"] },
        // New York spring gap, fixed time: 02:30 does not exist on 8 March; fires at 03:00 EDT.
        { "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"] },
        // New York spring gap, hourly: 02:00 does not exist; the 02:00 occurrence moves onto 03:00, which fires once.
        { "0 * * * *", "America/New_York", "2026-03-08T05:30:00Z", ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"] },
        // New York autumn overlap, fixed time: 01:30 happens twice; fires once, in the EDT pass.
        { "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"] },
        // New York autumn overlap, interval: fires in both passes.
        { "*/30 * * * *", "America/New_York", "2026-11-01T04:45:00Z", ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"] },
        // New York, Windows id.
        { "30 1 * * *", "Eastern Standard Time", "2026-10-31T12:00:00Z", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"] },
    };

    [Theory]
    [MemberData(nameof(DstCases))]
    public void Dst_transitions_follow_cronos_rules(string cron, string zone, string afterUtc, string[] expected)
    {
        var schedule = CronSchedule.Parse(cron, zone);

        var occurrences = schedule.GetNextOccurrences(DateTimeOffset.Parse(afterUtc, CultureInfo.InvariantCulture), expected.Length);

        Assert.Equal(expected, occurrences.Select(o => o.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture)));
    }

    [Theory]
    // 5 fields: minute first, so */15 means every 15 minutes.
    [InlineData("*/15 * * * *", "2026-01-01T12:15:00Z", "2026-01-01T12:30:00Z")]
    // 6 fields: seconds first, so */15 means every 15 seconds.
    [InlineData("*/15 * * * * *", "2026-01-01T12:00:15Z", "2026-01-01T12:00:30Z")]
    // A macro is one field and reads as standard cron.
    [InlineData("@daily", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z")]
    // Extra spaces between fields do not change the field count (search is strictly after 12:00).
    [InlineData("0  12 * *  *", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z")]
    public void Field_count_decides_whether_seconds_are_included(string cron, string first, string second)
    {
        var schedule = CronSchedule.Parse(cron, "UTC");

        var occurrences = schedule.GetNextOccurrences(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), 2);

        Assert.Equal([DateTimeOffset.Parse(first, CultureInfo.InvariantCulture), DateTimeOffset.Parse(second, CultureInfo.InvariantCulture)], occurrences);
    }

    [Theory]
    // A value out of range: Cronos' reason is kept, the expression is named.
    [InlineData("61 * * * *", "'61 * * * *'")]
    // Too few fields.
    [InlineData("* * * *", "4 fields")]
    // Too many fields (a year field is not supported).
    [InlineData("0 0 0 1 1 * 2030", "7 fields")]
    // Garbage in a field.
    [InlineData("every minute please", "'every minute please'")]
    // Empty.
    [InlineData("", "0 fields")]
    public void Invalid_expression_fails_naming_it(string cron, string expectedInMessage)
    {
        var ex = Assert.Throws<ArgumentException>(() => CronSchedule.Parse(cron, "UTC"));

        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
        Assert.Contains("cron expression", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Not a zone at all.
    [InlineData("Mars/Olympus_Mons")]
    // A near miss of a real IANA id.
    [InlineData("Europe/Berlinn")]
    // Blank.
    [InlineData(" ")]
    public void Unknown_time_zone_fails_naming_it(string zone)
    {
        var ex = Assert.Throws<ArgumentException>(() => CronSchedule.Parse("* * * * *", zone));

        Assert.Contains(string.IsNullOrWhiteSpace(zone) ? "must not be empty" : $"'{zone}'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("timeZoneId", ex.ParamName);
    }

    [Fact]
    public void Impossible_date_has_no_next_occurrence()
    {
        var schedule = CronSchedule.Parse("0 0 30 2 *", "UTC");

        Assert.Null(schedule.GetNextOccurrence(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Empty(schedule.GetNextOccurrences(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), 5));
    }

    [Fact]
    public void Latest_occurrences_of_a_long_range_are_the_most_recent_ones()
    {
        // Every second for 30 days is 2.6 million occurrences; only the last three are wanted and found.
        var schedule = CronSchedule.Parse("* * * * * *", "UTC");
        var now = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

        var latest = schedule.GetLatestOccurrences(now.AddDays(-30), now, 3);

        Assert.Equal([now.AddSeconds(-2), now.AddSeconds(-1), now], latest);
    }
}
