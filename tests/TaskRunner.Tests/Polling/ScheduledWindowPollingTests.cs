using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Polling;

public sealed class ScheduledWindowPollingTests
{
    private static readonly TimeSpan InnerInterval = TimeSpan.FromMinutes(1);

    private static IPollingStrategy Create(
        string zone,
        (string Cron, int Minutes)[] windows,
        TimeProvider? time = null,
        Func<IServiceProvider, IPollingStrategy>? inner = null)
    {
        var queue = new QueueOptions("nightly") { BatchSize = 32 };
        queue.UseScheduledWindows(o =>
        {
            o.TimeZoneId = zone;
            foreach (var (cron, minutes) in windows)
            {
                o.AddWindow(cron, TimeSpan.FromMinutes(minutes));
            }

            o.InnerStrategyFactory = inner ?? (_ => new FixedIntervalPolling(new FixedIntervalPollingOptions { Interval = InnerInterval }, 32));
        });
        using var services = new ServiceCollection().AddSingleton(time ?? new FakeTimeProvider()).BuildServiceProvider();
        return queue.PollingStrategyFactory!(services);
    }

    private static PollOutcome EmptyPollAt(DateTimeOffset now) => new() { Now = now, JobsFound = 0, BatchSize = 32, QueueDepth = -1 };

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Theory]
    // Daily window 09:00–11:00 UTC. The poll loop asks before every claim, whatever woke it.
    // Just before the opening: not yet, for exactly the time left.
    [InlineData("2026-01-05T08:59:59.999Z", "00:00:00.001")]
    // At the opening (half-open [open, close)): claim.
    [InlineData("2026-01-05T09:00:00Z", "00:00:00")]
    // Just before the close: claim.
    [InlineData("2026-01-05T10:59:59.999Z", "00:00:00")]
    // At the close: wait for tomorrow's opening.
    [InlineData("2026-01-05T11:00:00Z", "22:00:00")]
    public void Claims_are_allowed_only_inside_a_window(string now, string expected) =>
        Assert.Equal(TimeSpan.Parse(expected, CultureInfo.InvariantCulture), Create("UTC", [("0 9 * * *", 120)]).GetClaimDelay(Utc(now)));

    [Theory]
    // Daily window 09:00–11:00 UTC, inner strategy polls every minute.
    // Just before the window: sleep exactly until it opens.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T08:59:59.999Z", "00:00:00.001")]
    // Well before: sleep until it opens.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T07:00:00Z", "02:00:00")]
    // At the opening (windows are half-open [open, close)): inside, the inner strategy decides.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T09:00:00Z", "00:01:00")]
    // Inside.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T10:30:00Z", "00:01:00")]
    // Inside, but the inner wait would land exactly at the close: no poll outside, sleep to tomorrow's opening.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T10:59:00Z", "22:01:00")]
    // Inside, inner wait would land after the close.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T10:59:30Z", "22:00:30")]
    // At the close: outside.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T11:00:00Z", "22:00:00")]
    // Just after the close.
    [InlineData("UTC", "0 9 * * *", 120, "2026-01-05T11:00:00.001Z", "21:59:59.999")]
    // Six fields: seconds first (09:00:30).
    [InlineData("UTC", "30 0 9 * * *", 1, "2026-01-05T09:00:00Z", "00:00:30")]

    // Europe/Berlin spring gap, 2026-03-29 02:00 CET → 03:00 CEST (01:00Z): 02:30 does not exist, and Cronos opens
    // the window at the end of the gap, 03:00 CEST.
    // The day before, 02:30 CET = 01:30Z; once closed, the next opening is the end of the gap, 23 hours later.
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-03-28T02:00:00Z", "23:00:00")]
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-03-29T00:59:59Z", "00:00:01")]
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-03-29T01:00:00Z", "00:01:00")]
    // The window lasts its 30 elapsed minutes; the next opens at 02:30 CEST (00:30Z).
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-03-29T01:29:00Z", "23:01:00")]
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-03-29T01:30:00Z", "23:00:00")]
    // The same with the Windows id of the zone.
    [InlineData("W. Europe Standard Time", "30 2 * * *", 30, "2026-03-29T00:59:59Z", "00:00:01")]
    [InlineData("W. Europe Standard Time", "30 2 * * *", 30, "2026-03-29T01:30:00Z", "23:00:00")]
    // A window across the spring change lasts its elapsed duration: 01:00 CET (00:00Z) + 3 h = 03:00Z (05:00 CEST).
    [InlineData("Europe/Berlin", "0 1 * * *", 180, "2026-03-29T02:58:00Z", "00:01:00")]
    [InlineData("Europe/Berlin", "0 1 * * *", 180, "2026-03-29T03:00:00Z", "20:00:00")]

    // Europe/Berlin autumn overlap, 2026-10-25 03:00 CEST → 02:00 CET (01:00Z): 02:30 happens twice (00:30Z, 01:30Z);
    // a fixed-time expression opens the window once, at the first (daylight-time) 02:30.
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-10-25T00:29:59Z", "00:00:01")]
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-10-25T00:30:00Z", "00:01:00")]
    // Closed at 03:00 CEST; the next opening is tomorrow's 02:30 CET (01:30Z): a 25-hour day.
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-10-25T01:00:00Z", "1.00:30:00")]
    // At the second 02:30 (CET) the window does not open again.
    [InlineData("Europe/Berlin", "30 2 * * *", 30, "2026-10-25T01:30:00Z", "1.00:00:00")]

    // America/New_York spring gap, 2026-03-08 02:00 EST → 03:00 EDT (07:00Z): 02:30 opens at 03:00 EDT.
    [InlineData("America/New_York", "30 2 * * *", 30, "2026-03-08T06:59:59Z", "00:00:01")]
    [InlineData("America/New_York", "30 2 * * *", 30, "2026-03-08T07:00:00Z", "00:01:00")]
    // Closed at 07:30Z; the next opening is 02:30 EDT (06:30Z) the next day.
    [InlineData("America/New_York", "30 2 * * *", 30, "2026-03-08T07:30:00Z", "23:00:00")]

    // America/New_York autumn overlap, 2026-11-01 02:00 EDT → 01:00 EST (06:00Z): 01:30 happens twice (05:30Z, 06:30Z).
    [InlineData("America/New_York", "30 1 * * *", 30, "2026-11-01T05:29:59Z", "00:00:01")]
    [InlineData("America/New_York", "30 1 * * *", 30, "2026-11-01T05:30:00Z", "00:01:00")]
    // Closed at 01:00 EST (06:00Z); the next opening is tomorrow's 01:30 EST (06:30Z).
    [InlineData("America/New_York", "30 1 * * *", 30, "2026-11-01T06:00:00Z", "1.00:30:00")]
    // At the second 01:30 (EST) the window does not open again.
    [InlineData("America/New_York", "30 1 * * *", 30, "2026-11-01T06:30:00Z", "1.00:00:00")]
    [InlineData("Eastern Standard Time", "30 1 * * *", 30, "2026-11-01T06:30:00Z", "1.00:00:00")]
    public void Decisions_at_window_edges(string zone, string cron, int minutes, string nowUtc, string expectedDelay)
    {
        var strategy = Create(zone, [(cron, minutes)]);

        var decision = strategy.Decide(EmptyPollAt(Utc(nowUtc)));

        Assert.Equal(TimeSpan.Parse(expectedDelay, CultureInfo.InvariantCulture), decision.Delay);
        Assert.Equal(32, decision.BatchSize);
    }

    [Theory]
    // Europe/Berlin autumn overlap with an hourly window ("0 * * * *": wildcard hour): Cronos fires at both 02:00s,
    // so the window is open 10 minutes after each of them (00:00Z and 01:00Z).
    [InlineData("2026-10-25T00:05:00Z", true)]
    [InlineData("2026-10-25T01:05:00Z", true)]
    [InlineData("2026-10-25T00:30:00Z", false)]
    [InlineData("2026-10-25T01:30:00Z", false)]
    public void Interval_expressions_open_in_both_instances_of_an_overlap(string nowUtc, bool inside)
    {
        var strategy = Create("Europe/Berlin", [("0 * * * *", 10)]);

        var decision = strategy.Decide(EmptyPollAt(Utc(nowUtc)));

        // Inside, the inner strategy's minute; outside, the sleep until the next full hour (30 minutes here).
        Assert.Equal(inside ? InnerInterval : TimeSpan.FromMinutes(30), decision.Delay);
    }

    [Fact]
    public void An_opening_before_the_inner_wait_ends_is_not_slept_through()
    {
        // Two short windows 09:00–09:10 and 09:15–09:25; the inner strategy would wait 30 minutes.
        var strategy = Create(
            "UTC",
            [("0 9 * * *", 10), ("15 9 * * *", 10)],
            inner: _ => new FixedIntervalPolling(new FixedIntervalPollingOptions { Interval = TimeSpan.FromMinutes(30) }, 32));

        Assert.Equal(TimeSpan.FromMinutes(15), strategy.Decide(EmptyPollAt(Utc("2026-01-05T09:00:00Z"))).Delay);
    }

    [Theory]
    // Before the window: the first poll waits for the opening.
    [InlineData("2026-01-05T07:00:00Z", "02:00:00")]
    // Inside: the inner strategy's first decision (poll at once).
    [InlineData("2026-01-05T09:30:00Z", "00:00:00")]
    public void Initial_reads_the_registered_time_provider(string nowUtc, string expectedDelay)
    {
        var time = new FakeTimeProvider(Utc(nowUtc));
        var strategy = Create("UTC", [("0 9 * * *", 120)], time);

        Assert.Equal(new PollDecision(TimeSpan.Parse(expectedDelay, CultureInfo.InvariantCulture), 32), strategy.Initial);
    }

    [Fact]
    public void Polls_outside_a_window_are_not_shown_to_the_inner_strategy_and_keep_its_batch_size()
    {
        var inner = new RecordingStrategy(new PollDecision(TimeSpan.FromMinutes(1), 7));
        var strategy = Create("UTC", [("0 9 * * *", 120)], inner: _ => inner);

        // An early wake-up (local enqueue) outside the window.
        var outside = strategy.Decide(EmptyPollAt(Utc("2026-01-05T08:00:00Z")));
        Assert.Equal(new PollDecision(TimeSpan.FromHours(1), 7), outside);
        Assert.Equal(0, inner.Calls);

        var inside = strategy.Decide(EmptyPollAt(Utc("2026-01-05T09:00:00Z")));
        Assert.Equal(new PollDecision(TimeSpan.FromMinutes(1), 7), inside);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public void Waits_are_capped_when_the_next_window_is_far_away()
    {
        // Once a year, on 1 January.
        var strategy = Create("UTC", [("0 0 1 1 *", 60)]);

        var decision = strategy.Decide(EmptyPollAt(Utc("2026-01-05T00:00:00Z")));

        Assert.Equal(ScheduledWindowPolling.MaxSleep, decision.Delay);
    }

    [Fact]
    public void Without_a_registered_time_provider_the_system_clock_is_used()
    {
        var queue = new QueueOptions("q").UseScheduledWindows(o => o.AddWindow("* * * * *", TimeSpan.FromMinutes(1)));
        using var services = new ServiceCollection().BuildServiceProvider();

        // A window that opens every minute and lasts a minute is always open: the inner fixed interval polls at once.
        Assert.Equal(TimeSpan.Zero, queue.PollingStrategyFactory!(services).Initial.Delay);
    }

    private sealed class RecordingStrategy(PollDecision decision) : IPollingStrategy
    {
        public int Calls { get; private set; }

        public PollDecision Initial => decision with { Delay = TimeSpan.Zero };

        public PollDecision Decide(in PollOutcome outcome)
        {
            Calls++;
            return decision;
        }
    }
}
