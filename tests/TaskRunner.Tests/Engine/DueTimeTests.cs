using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>Delayed jobs and retries start at their due time on an idle host: the engine's due-time wake-ups, on a fake
/// clock. The queues poll once an hour, so only a wake-up at the due time can start a job then.</summary>
public sealed class DueTimeTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromHours(1);

    private static Task<RunnerHost> StartAsync(bool schedulerEnabled, Action<TaskRunnerOptions>? options = null) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue(JobOptions.DefaultQueue, q => q.UseFixedInterval(o => o.Interval = Idle));
                if (options is not null)
                {
                    b.Configure(options);
                }
            },
            services: s => s
                .AddSingleton<Probe>()
                .Configure<SchedulerOptions>(o => o.Enabled = schedulerEnabled));

    /// <summary>Waits until the due-time waker sleeps until exactly <paramref name="due"/> (so the time is armed, not
    /// found by a later store check), then moves the clock there.</summary>
    private static void AdvanceToDueTime(RunnerHost host, DateTimeOffset due)
    {
        var sleep = host.Services.GetRequiredService<DueTimeWaker>().Sleep;
        Assert.True(
            SpinWait.SpinUntil(() => sleep.IsSleeping && sleep.WakeAt == due, RunnerHost.Patience),
            $"the due-time waker should sleep until {due:O}; it sleeps until {sleep.WakeAt:O} (asleep: {sleep.IsSleeping})");
        host.Time.SetUtcNow(due);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the recurring scheduler disabled: delayed jobs keep their wake-ups
    public async Task Several_delayed_jobs_each_start_at_their_due_time_on_an_idle_host(bool schedulerEnabled)
    {
        await using var host = await StartAsync(schedulerEnabled);
        var t0 = host.Time.GetUtcNow();

        // All due within one store check (2 s), in an order other than their enqueue order; the first is on a queue no
        // process here serves, so it stays due and unclaimed: it must not hide the ones after it.
        await host.Client.EnqueueAsync(new Work("elsewhere"), new JobOptions { Queue = "elsewhere", Delay = TimeSpan.FromMilliseconds(300) });
        var delays = new[] { 1300, 500, 700, 1750 };
        var ids = new List<(JobId Id, DateTimeOffset Due)>();
        foreach (var ms in delays)
        {
            var id = await host.Client.EnqueueAsync(new Work($"delayed-{ms}"), new JobOptions { Delay = TimeSpan.FromMilliseconds(ms) });
            ids.Add((id, t0.AddMilliseconds(ms)));
        }

        AdvanceToDueTime(host, t0.AddMilliseconds(300));
        foreach (var (id, due) in ids.OrderBy(j => j.Due))
        {
            AdvanceToDueTime(host, due);
            var started = await host.Events.WaitFor(JobEventKind.Started, id);
            Assert.Equal(due, started.Timestamp);
        }

        Assert.DoesNotContain(host.Events.All, e => e.Kind == JobEventKind.Started && e.Queue == "elsewhere");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_retry_starts_at_its_backoff_time_on_an_idle_host(bool schedulerEnabled)
    {
        await using var host = await StartAsync(schedulerEnabled, o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(400));
        var id = await host.Client.EnqueueAsync(new Work("retry", "throw"), new JobOptions { MaxAttempts = 3 });

        var failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);
        AdvanceToDueTime(host, failed.RetryAt!.Value);
        var second = await host.Events.WaitFor(JobEventKind.Started, id, attempt: 2);
        Assert.Equal(failed.RetryAt.Value, second.Timestamp);

        failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 2);
        AdvanceToDueTime(host, failed.RetryAt!.Value);
        var third = await host.Events.WaitFor(JobEventKind.Started, id, attempt: 3);
        Assert.Equal(failed.RetryAt.Value, third.Timestamp);
    }

    [Fact]
    public async Task The_waker_wakes_the_pollers_once_per_due_time_and_rearms_for_a_local_notification()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero));
        var t0 = time.GetUtcNow();
        var store = new InMemoryJobStore();
        var waker = new DueTimeWaker(
            store,
            new LocalSignals(time),
            time,
            Options.Create(new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMinutes(5) }),
            NullLoggerFactory.Instance);
        var wakes = new List<DateTimeOffset>();
        waker.WokePollers += now =>
        {
            lock (wakes)
            {
                wakes.Add(now);
            }
        };
        await store.EnqueueAsync([NewJob(t0.AddSeconds(45))], t0);

        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => waker.RunAsync(stop.Token));
        void AdvanceTo(DateTimeOffset until)
        {
            Assert.True(SpinWait.SpinUntil(() => waker.Sleep.IsSleeping, RunnerHost.Patience), "the waker should sleep");
            Assert.Equal(until, waker.Sleep.WakeAt);
            time.SetUtcNow(until);
        }

        AdvanceTo(t0.AddSeconds(45));

        // Nobody claims the job (no poller here): it is not announced again at the next store checks.
        AdvanceTo(t0.AddSeconds(45).AddMinutes(5));

        // A delayed job stored in this process re-arms the sleep for its run-at at once.
        var runAt = t0.AddMinutes(7);
        await store.EnqueueAsync([NewJob(runAt)], t0.AddMinutes(6));
        time.SetUtcNow(t0.AddMinutes(6));
        waker.Notify(runAt);
        Assert.True(SpinWait.SpinUntil(() => waker.Sleep.IsSleeping && waker.Sleep.WakeAt == runAt, RunnerHost.Patience), "the waker should re-arm");
        time.SetUtcNow(runAt);
        Assert.True(SpinWait.SpinUntil(() => { lock (wakes) { return wakes.Count == 2; } }, RunnerHost.Patience));

        await stop.CancelAsync();
        await loop;
        Assert.Equal(new[] { t0.AddSeconds(45), runAt }, wakes);
    }

    private static NewJob NewJob(DateTimeOffset runAt) => new()
    {
        Name = "work",
        Payload = "{}"u8.ToArray(),
        Queue = "nobody",
        RunAt = runAt,
        MaxAttempts = 1,
    };
}
