using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Polling;

/// <summary>A scheduled-window queue claims only inside its windows, whatever wakes its poller: the poll loop asks the
/// strategy before every claim. The host's clock starts at 12:00 UTC; the window opens at 13:00 for an hour.</summary>
public sealed class ScheduledWindowEngineTests
{
    private const string Nightly = "nightly";

    public static TheoryData<string> WakeSources() =>
    [
        "start",          // the first poll after the host starts
        "local-enqueue",  // a job enqueued to the queue in this process
        "due-job",        // a delayed job on another queue falls due (the pollers are all woken)
        "finished-batch", // a batch finishes (its continuation may be anywhere: all pollers are woken)
        "recovery",       // an expired lease is recovered (all pollers are woken)
    ];

    [Theory]
    [MemberData(nameof(WakeSources))]
    public async Task A_scheduled_window_queue_claims_nothing_outside_its_window_whatever_wakes_it(string source)
    {
        CountingStrategy? strategy = null;
        await using var host = RunnerHost.Create(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue(JobOptions.DefaultQueue);
                b.AddQueue(Nightly, q =>
                {
                    q.UseScheduledWindows(o =>
                    {
                        o.TimeZoneId = "UTC";
                        o.AddWindow("0 13 * * *", TimeSpan.FromHours(1));
                    });
                    var windows = q.PollingStrategyFactory!;
                    q.UsePollingStrategy(sp => strategy = new CountingStrategy(windows(sp)));
                });
            },
            services: s => s.AddSingleton<Probe>());
        var opening = new DateTimeOffset(2026, 1, 5, 13, 0, 0, TimeSpan.Zero);
        Assert.True(host.Time.GetUtcNow() < opening);

        // Waiting before the host starts: the start itself is the first wake-up.
        var waiting = await host.Client.EnqueueAsync(new Work("waiting"), new JobOptions { Queue = Nightly });
        await host.Host.StartAsync();
        var poller = host.Poller(Nightly);
        var asks = WaitUntilAskedAndAsleep(() => strategy, poller, 0);

        switch (source)
        {
            case "start":
                break;
            case "local-enqueue":
                await host.Client.EnqueueAsync(new Work("another"), new JobOptions { Queue = Nightly });
                break;
            case "due-job":
                var due = host.Time.GetUtcNow().AddSeconds(1); // within the store check, so the waker sleeps until it
                var delayed = await host.Client.EnqueueAsync(new Work("delayed"), new JobOptions { RunAt = due });
                var sleep = host.Services.GetRequiredService<DueTimeWaker>().Sleep;
                Assert.True(SpinWait.SpinUntil(() => sleep.IsSleeping && sleep.WakeAt == due, RunnerHost.Patience));
                host.Time.SetUtcNow(due);
                await host.Events.WaitFor(JobEventKind.Succeeded, delayed);
                break;
            case "finished-batch":
                var batch = await host.Client.EnqueueBatchAsync([new Work("shard")]);
                await host.Client.WaitForBatchAsync(batch);
                break;
            case "recovery":
                var now = host.Time.GetUtcNow();
                await host.Store.EnqueueAsync([new NewJob { Name = "work", Payload = "{\"key\":\"orphan\"}"u8.ToArray(), Queue = "orphan", RunAt = now, MaxAttempts = 3 }], now);
                Assert.Single(await host.Store.ClaimAsync(new ClaimRequest { Queue = "orphan", MaxCount = 1, Owner = "dead", Now = now, LeaseDuration = TimeSpan.FromSeconds(1) }));
                host.Time.Advance(new TaskRunnerOptions().StaleLeaseCheckInterval); // the maintenance tick recovers it
                Assert.True(SpinWait.SpinUntil(() => host.Monitor.StaleLeasesRecovered == 1, RunnerHost.Patience), "the lease should be recovered");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown wake source.");
        }

        if (source != "start")
        {
            WaitUntilAskedAndAsleep(() => strategy, poller, asks);
        }

        // Woken, asked, and back asleep until the window opens: nothing was claimed.
        Assert.Equal(opening, poller.WakeAt);
        Assert.DoesNotContain(host.Events.All, e => e.Queue == Nightly && e.Kind == JobEventKind.Started);
        Assert.All(await host.Store.ListAsync(new JobQuery { Queue = Nightly }), j => Assert.Equal(JobState.Pending, j.State));

        // At the opening the queue claims.
        host.Time.SetUtcNow(opening);
        var started = await host.Events.WaitFor(JobEventKind.Started, waiting);
        Assert.Equal(opening, started.Timestamp);
    }

    /// <summary>Waits until the poller asked the strategy more than <paramref name="before"/> times and sleeps again.</summary>
    private static int WaitUntilAskedAndAsleep(Func<CountingStrategy?> strategy, WakeSignal poller, int before)
    {
        Assert.True(
            SpinWait.SpinUntil(() => strategy() is { } s && s.Asks > before && poller.IsSleeping, RunnerHost.Patience),
            "the poller should be woken, ask the strategy and sleep again");
        return strategy()!.Asks;
    }

    /// <summary>Counts the claim checks, so the test knows a wake-up reached the poll loop.</summary>
    private sealed class CountingStrategy(IPollingStrategy inner) : IPollingStrategy
    {
        private int _asks;

        public int Asks => Volatile.Read(ref _asks);

        public PollDecision Initial => inner.Initial;

        public PollDecision Decide(in PollOutcome outcome) => inner.Decide(outcome);

        public TimeSpan GetClaimDelay(DateTimeOffset now)
        {
            Interlocked.Increment(ref _asks);
            return inner.GetClaimDelay(now);
        }
    }
}
