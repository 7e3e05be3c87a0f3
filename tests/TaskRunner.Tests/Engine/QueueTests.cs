using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>Queues, wake-ups and what polling costs.</summary>
public sealed class QueueTests
{
    [Fact]
    public async Task An_idle_queue_with_the_default_idle_backoff_makes_a_bounded_number_of_store_queries_in_a_simulated_hour()
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        var start = host.Time.GetUtcNow();

        while (host.Time.GetUtcNow() - start < TimeSpan.FromHours(1))
        {
            host.AdvanceToNextPoll();
        }

        // 200 ms doubling to a 30 s cap (±10 % jitter): about 127 polls an hour, where a fixed 1 s poll makes 3,600
        // (and Hangfire's SQL storage makes about 2,000 a minute).
        Assert.InRange(store.ClaimCalls, 100, 140);
    }

    [Fact]
    public async Task A_local_enqueue_wakes_a_sleeping_poller_at_once_without_moving_the_clock()
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience));

        var id = await host.Client.EnqueueAsync(new Work("now"));

        await host.Events.WaitFor(JobEventKind.Succeeded, id);
    }

    [Fact]
    public async Task A_busy_queue_cannot_starve_another_under_the_global_limit()
    {
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("bulk", q => q.Concurrency = 2);
                b.AddQueue("urgent", q => q.Concurrency = 2);
                b.Configure(o => o.GlobalConcurrency = 2);
            },
            services: s => s.AddSingleton<Probe>());
        var probe = host.Services.GetRequiredService<Probe>();
        var bulk = Enumerable.Range(0, 10).Select(i => $"b{i}").ToArray();
        await host.Client.EnqueueManyAsync(bulk.Select(k => new Work(k, "block")), new JobOptions { Queue = "bulk" });
        await probe.StartedGate("b0").Task;
        await probe.StartedGate("b1").Task; // bulk holds every global slot

        var urgent = await host.Client.EnqueueAsync(new Work("u0"), new JobOptions { Queue = "urgent" });

        // The urgent queue's poller now waits for a global slot (an untimed sleep)...
        var urgentPoller = host.Poller("urgent");
        Assert.True(SpinWait.SpinUntil(() => urgentPoller.IsSleeping && urgentPoller.WakeAt == DateTimeOffset.MaxValue, RunnerHost.Patience));

        // ...when one slot comes free, and both queues want it.
        probe.ReleaseGate("b0").Open();

        // Had bulk taken the slot, u0 could not run while b1..b9 block (this wait would time out). Once u0 is done its
        // slot may rightly go to bulk, so look at the order the jobs started in, not at whether b2 has started by now.
        await host.Events.WaitFor(JobEventKind.Succeeded, urgent);
        var startedBeforeUrgent = probe.Runs.Select(r => r.Key).TakeWhile(k => k != "u0").ToArray();
        Assert.True(startedBeforeUrgent is ["b0", "b1"] or ["b1", "b0"], $"bulk took the slot the waiting queue was owed: {string.Join(", ", startedBeforeUrgent)} started before u0");

        foreach (var key in bulk)
        {
            probe.ReleaseGate(key).Open();
        }
    }
}

public sealed class QueueDepthTests
{
    private sealed class RecordingStrategy : IPollingStrategy
    {
        public System.Collections.Concurrent.ConcurrentQueue<PollOutcome> Outcomes { get; } = new();

        public PollDecision Initial => new(TimeSpan.FromHours(1), 1);

        public PollDecision Decide(in PollOutcome outcome)
        {
            Outcomes.Enqueue(outcome);
            return Initial;
        }
    }

    [Fact]
    public async Task The_maintenance_tick_counts_each_queue_and_the_next_poll_tells_the_strategy_its_depth()
    {
        var strategy = new RecordingStrategy();
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("default", q => q.UsePollingStrategy(_ => strategy));
                b.Configure(o => o.StaleLeaseCheckInterval = TimeSpan.FromSeconds(10));
            },
            services: s => s.AddSingleton<Probe>());
        Assert.True(SpinWait.SpinUntil(() => !strategy.Outcomes.IsEmpty, RunnerHost.Patience));
        Assert.Equal(-1, Assert.Single(strategy.Outcomes).QueueDepth); // the first poll, before any count
        await host.Store.EnqueueAsync([.. Enumerable.Range(0, 5).Select(i => new NewJob { Name = "work", Payload = System.Text.Encoding.UTF8.GetBytes($"{{\"key\":\"d{i}\"}}"), RunAt = host.Time.GetUtcNow() })], host.Time.GetUtcNow());

        host.Time.Advance(TimeSpan.FromSeconds(10)); // the maintenance tick counts 5 pending
        Assert.True(SpinWait.SpinUntil(() => host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<JobRunner>().Single().QueueDepth("default") == 5, RunnerHost.Patience));
        host.Wake();

        await host.Events.WaitFor(e => e.Kind == JobEventKind.Succeeded);

        // The strategy hears of the poll after it claimed, while the claimed job may already have run: wait for it.
        Assert.True(
            SpinWait.SpinUntil(() => strategy.Outcomes.Any(o => o.QueueDepth == 5), RunnerHost.Patience),
            $"the poll after the count should tell the strategy a depth of 5; it was told {string.Join(", ", strategy.Outcomes.Select(o => o.QueueDepth))}");
    }
}
