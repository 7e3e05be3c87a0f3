using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Scheduling;

public sealed class RecurringSchedulerTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 10, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task Fires_each_occurrence_once_with_its_occurrence_key_as_the_clock_advances()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        await cluster.Nodes[0].Jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"), o => o.Queue = "reports");
        await cluster.StartAsync();

        await cluster.AdvanceToAsync(Start.AddMinutes(3));
        await submitter.WaitUntilAsync(s => s.Created.Count >= 3);

        Assert.Equal(
            ["schedule:report:2026-06-01T10:01:00.0000000Z", "schedule:report:2026-06-01T10:02:00.0000000Z", "schedule:report:2026-06-01T10:03:00.0000000Z"],
            submitter.Created.Select(s => s.IdempotencyKey));
        Assert.All(submitter.Created, s =>
        {
            Assert.Equal(nameof(ReportPayload), s.JobName);
            Assert.Equal("""{"region":"eu"}""", s.Payload);
            Assert.Equal("reports", s.Queue);
        });
        Assert.Equal(At("10:03"), (await store.GetAsync("report"))!.LastOccurrence);
    }

    [Fact]
    public async Task Sleeps_until_the_earliest_due_time_instead_of_polling()
    {
        var (time, store, submitter) = NewWorld(Start);
        var options = new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMinutes(5) };
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time, options: options));
        await cluster.Nodes[0].Jobs.AddOrUpdateAsync("every-other-minute", "*/2 * * * *", new ReportPayload("eu"));
        await cluster.Nodes[0].Jobs.AddOrUpdateAsync("hourly", "0 * * * *", new ReportPayload("us"));
        await cluster.StartAsync();

        // The loop wakes for nothing before the first due time: its one timer is set to 10:02.
        Assert.Equal(At("10:02"), await cluster.Nodes[0].WaitAsleepAsync());
    }

    [Fact]
    public async Task Two_schedulers_sharing_a_store_submit_each_occurrence_effectively_once()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time), new SchedulerNode(store, submitter, time));
        await cluster.Nodes[0].Jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await cluster.Nodes[1].Jobs.AddOrUpdateAsync("cleanup", "*/2 * * * *", new ReportPayload("us"));
        await cluster.StartAsync();

        await cluster.AdvanceToAsync(Start.AddMinutes(6));
        await cluster.SettleAsync();

        var keys = submitter.Created.Select(s => s.IdempotencyKey).ToList();
        Assert.Equal(6 + 3, keys.Count);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(At("10:06"), (await store.GetAsync("report"))!.LastOccurrence);
        Assert.Equal(At("10:06"), (await store.GetAsync("cleanup"))!.LastOccurrence);
    }

    public static TheoryData<MisfirePolicy, string[]> MisfireCases() => new()
    {
        // Down from 10:00:30 to 15:20: FireOnce fires the latest missed occurrence (15:00) once.
        { MisfirePolicy.FireOnce, ["15:00", "16:00"] },
        // FireAll fires the missed ones, bounded by MaxMisfires = 3: the latest three.
        { MisfirePolicy.FireAll, ["13:00", "14:00", "15:00", "16:00"] },
        // Skip fires none of them and continues on time at 16:00.
        { MisfirePolicy.Skip, ["16:00"] },
    };

    [Theory]
    [MemberData(nameof(MisfireCases))]
    public async Task Misfire_policy_applies_after_a_simulated_outage(MisfirePolicy policy, string[] expectedAfterOutage)
    {
        var (time, store, submitter) = NewWorld(At("09:59:30"));
        await using (var before = new SchedulerCluster(time, new SchedulerNode(store, submitter, time)))
        {
            await before.Nodes[0].Jobs.AddOrUpdateAsync("hourly", "0 * * * *", new ReportPayload("eu"), o =>
            {
                o.MisfirePolicy = policy;
                o.MaxMisfires = 3;
            });
            await before.StartAsync();
            await before.AdvanceToAsync(At("10:00:30"));
            await submitter.WaitUntilAsync(s => s.Created.Count == 1);
        }

        // The outage: no scheduler runs while the clock moves on five hours.
        time.SetUtcNow(At("15:20"));
        await using var after = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        await after.StartAsync();
        await after.SettleAsync();
        await after.AdvanceToAsync(At("16:00:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 1 + expectedAfterOutage.Length);
        await after.SettleAsync();

        Assert.Equal(["10:00", .. expectedAfterOutage], submitter.Created.Select(s => KeyTime(s.IdempotencyKey!)));
    }

    [Fact]
    public async Task Updated_cron_takes_effect_without_a_restart()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        var jobs = cluster.Nodes[0].Jobs;
        await jobs.AddOrUpdateAsync("report", "0 * * * *", new ReportPayload("eu"));
        await cluster.StartAsync();

        await cluster.ChangeAsync(cluster.Nodes[0], () => jobs.AddOrUpdateAsync("report", "*/5 * * * *", new ReportPayload("eu")).AsTask());
        await cluster.AdvanceToAsync(At("10:10:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count >= 2);
        await cluster.SettleAsync();

        Assert.Equal(["10:05", "10:10"], submitter.Created.Select(s => KeyTime(s.IdempotencyKey!)));
    }

    [Fact]
    public async Task Pause_stops_firing_and_resume_continues_without_replaying_the_paused_time()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        var jobs = cluster.Nodes[0].Jobs;
        await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await cluster.StartAsync();
        await cluster.AdvanceToAsync(At("10:01:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 1);

        await cluster.ChangeAsync(cluster.Nodes[0], async () => Assert.True(await jobs.PauseAsync("report")));
        await cluster.AdvanceToAsync(At("10:05:30"));
        await cluster.SettleAsync();
        Assert.Single(submitter.Created);

        await cluster.ChangeAsync(cluster.Nodes[0], async () => Assert.True(await jobs.ResumeAsync("report")));
        await cluster.AdvanceToAsync(At("10:07:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 3);
        await cluster.SettleAsync();

        Assert.Equal(["10:01", "10:06", "10:07"], submitter.Created.Select(s => KeyTime(s.IdempotencyKey!)));
    }

    [Fact]
    public async Task Removed_schedule_stops_firing_without_a_restart()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        var jobs = cluster.Nodes[0].Jobs;
        await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await jobs.AddOrUpdateAsync("keep", "*/2 * * * *", new ReportPayload("us"));
        await cluster.StartAsync();

        await cluster.ChangeAsync(cluster.Nodes[0], async () => Assert.True(await jobs.RemoveAsync("report")));
        await cluster.AdvanceToAsync(At("10:04:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 2);
        await cluster.SettleAsync();

        Assert.All(submitter.Created, s => Assert.StartsWith("schedule:keep:", s.IdempotencyKey, StringComparison.Ordinal));
        Assert.Null(await store.GetAsync("report"));
    }

    [Fact]
    public async Task Change_made_by_another_process_is_noticed_by_the_store_version_check()
    {
        var (time, store, submitter) = NewWorld(Start);
        var options = new SchedulerOptions { StoreCheckInterval = TimeSpan.FromSeconds(5) };
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time, options: options));
        await cluster.StartAsync();
        await cluster.SettleAsync();

        // Another process writes to the shared store; nothing wakes this node locally.
        var otherProcess = new SchedulerNode(store, submitter, time);
        await otherProcess.Jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await cluster.AdvanceToAsync(At("10:01:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 1);

        Assert.Equal("schedule:report:2026-06-01T10:01:00.0000000Z", submitter.Created[0].IdempotencyKey);
    }

    [Fact]
    public async Task Trigger_now_enqueues_at_once_with_a_key_of_its_own_and_keeps_the_regular_occurrences()
    {
        var (time, store, submitter) = NewWorld(Start);
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        var jobs = cluster.Nodes[0].Jobs;
        await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await cluster.StartAsync();

        var first = await jobs.TriggerAsync("report");
        var second = await jobs.TriggerAsync("report");
        await cluster.AdvanceToAsync(At("10:01:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 3);

        Assert.NotNull(first);
        Assert.NotEqual(first, second);
        Assert.Null(await jobs.TriggerAsync("missing"));
        var keys = submitter.Created.Select(s => s.IdempotencyKey!).ToList();
        Assert.StartsWith("schedule:report:trigger:", keys[0], StringComparison.Ordinal);
        Assert.StartsWith("schedule:report:trigger:", keys[1], StringComparison.Ordinal);
        Assert.Equal("schedule:report:2026-06-01T10:01:00.0000000Z", keys[2]);
        // Triggers do not count as occurrences: the schedule's progress is the regular 10:01 only.
        Assert.Equal(At("10:01"), (await store.GetAsync("report"))!.LastOccurrence);
    }

    [Fact]
    public async Task A_schedule_that_fails_to_fire_does_not_hold_up_the_others()
    {
        var (time, store, submitter) = NewWorld(Start);
        submitter.RejectedJobName = "gone";
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time));
        var jobs = cluster.Nodes[0].Jobs;
        await jobs.AddOrUpdateAsync("broken", "* * * * *", new ReportPayload("eu"), o => o.JobName = "gone");
        await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        await cluster.StartAsync();

        await cluster.AdvanceToAsync(At("10:03:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count == 3);
        await cluster.SettleAsync();

        Assert.All(submitter.Created, s => Assert.StartsWith("schedule:report:", s.IdempotencyKey, StringComparison.Ordinal));

        // Once the job exists again, the broken schedule fires its missed occurrence (FireOnce) and continues.
        submitter.RejectedJobName = null;
        await cluster.AdvanceToAsync(At("10:04:30"));
        await submitter.WaitUntilAsync(s => s.Created.Count(c => c.JobName == "gone") >= 1);
        await cluster.SettleAsync();
        Assert.Contains("schedule:broken:2026-06-01T10:04:00.0000000Z", submitter.Created.Select(c => c.IdempotencyKey));
    }

    // The scheduler loop across DST transitions, on a fake clock: each row starts the clock, advances it through the
    // transition and lists the occurrence keys (UTC) submitted.
    public static TheoryData<string, string, string, string, string[]> DstLoopCases() => new()
    {
        // Berlin spring gap: 02:30 does not exist on 29 March; the occurrence fires once at 03:00 CEST = 01:00 UTC.
        { "30 2 * * *", "Europe/Berlin", "2026-03-28T23:00:00Z", "2026-03-29T02:00:00Z", ["2026-03-29T01:00:00.0000000Z"] },
        // Berlin autumn overlap, fixed time: 02:30 happens twice; fires once, in the CEST pass (00:30 UTC).
        { "30 2 * * *", "Europe/Berlin", "2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z", ["2026-10-25T00:30:00.0000000Z"] },
        // Berlin autumn overlap, interval: 02:30 fires in both passes (00:30 and 01:30 UTC).
        { "30 * * * *", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", ["2026-10-25T00:30:00.0000000Z", "2026-10-25T01:30:00.0000000Z"] },
        // New York spring gap: 02:30 does not exist on 8 March; fires at 03:00 EDT = 07:00 UTC.
        { "30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T08:00:00Z", ["2026-03-08T07:00:00.0000000Z"] },
        // New York autumn overlap, fixed time: 01:30 fires once, in the EDT pass (05:30 UTC).
        { "30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", ["2026-11-01T05:30:00.0000000Z"] },
        // New York autumn overlap, interval: 01:30 fires in both passes (05:30 and 06:30 UTC).
        { "30 * * * *", "America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", ["2026-11-01T05:30:00.0000000Z", "2026-11-01T06:30:00.0000000Z"] },
    };

    [Theory]
    [MemberData(nameof(DstLoopCases))]
    public async Task Scheduler_fires_across_dst_transitions_per_cronos_rules(string cron, string zone, string from, string to, string[] expectedUtc)
    {
        var (time, store, submitter) = NewWorld(DateTimeOffset.Parse(from, CultureInfo.InvariantCulture));
        var options = new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMinutes(5) };
        await using var cluster = new SchedulerCluster(time, new SchedulerNode(store, submitter, time, options: options));
        await cluster.Nodes[0].Jobs.AddOrUpdateAsync("dst", cron, new ReportPayload("eu"), o => o.TimeZoneId = zone);
        await cluster.StartAsync();

        await cluster.AdvanceToAsync(DateTimeOffset.Parse(to, CultureInfo.InvariantCulture));
        await cluster.SettleAsync();

        Assert.Equal(expectedUtc.Select(u => $"schedule:dst:{u}"), submitter.Created.Select(s => s.IdempotencyKey));
    }

    private static (FakeTimeProvider Time, InMemoryScheduleStore Store, RecordingSubmitter Submitter) NewWorld(DateTimeOffset start) =>
        (new FakeTimeProvider(start), new InMemoryScheduleStore(), new RecordingSubmitter());

    private static DateTimeOffset At(string time) =>
        new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) + TimeSpan.Parse(time, CultureInfo.InvariantCulture);

    private static string KeyTime(string key) =>
        DateTimeOffset.Parse(key[(key.LastIndexOf(":2026", StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture).ToString("HH:mm", CultureInfo.InvariantCulture);
}

public sealed record ReportPayload(string Region);
