using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Scheduling;

/// <summary>The recurring scheduler sleeps until an instant, not for a delay from a clock read that may be stale by the
/// time its timer is armed.</summary>
public sealed class SchedulerDeadlineTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 10, 0, 30, TimeSpan.Zero);
    private static readonly DateTimeOffset Occurrence = new(2026, 6, 1, 10, 1, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_occurrence_fires_at_its_time_though_the_clock_moved_while_the_scheduler_armed_its_sleep()
    {
        var fake = new FakeTimeProvider(Start);
        var clock = new ClockMovingOnArm(fake);
        var store = new InMemoryScheduleStore();
        var submitter = new RecordingSubmitter();
        var wakeup = new SchedulerWakeup();
        var jobs = new RecurringJobs(store, submitter, new PayloadTypeNameResolver(), wakeup, clock, Options.Create(new TaskRunnerOptions()), [], NullLogger<RecurringJobs>.Instance);
        var options = Options.Create(new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMinutes(5) }); // no check before 10:01
        using var scheduler = new RecurringScheduler(store, submitter, jobs, wakeup, options, clock, NullLogger<RecurringScheduler>.Instance);
        var asleep = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        scheduler.Sleeping += until => asleep.TrySetResult(until);
        await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));

        // The scheduler reads 10:00:30; its timer is armed at 10:00:50. Armed for "30 s from the read", it would fire at 10:01:20.
        clock.MoveOnNextArm(TimeSpan.FromSeconds(20));
        await scheduler.StartAsync(CancellationToken.None);
        Assert.Equal(Occurrence, await asleep.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Moved);
        Assert.Empty(submitter.Created);

        fake.SetUtcNow(Occurrence);

        await submitter.WaitUntilAsync(s => s.Created.Count >= 1);
        Assert.Equal("schedule:report:2026-06-01T10:01:00.0000000Z", Assert.Single(submitter.Created).IdempotencyKey);
        await scheduler.StopAsync(CancellationToken.None);
    }
}
