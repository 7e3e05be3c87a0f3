using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Execution;

/// <summary>Queues, wake-ups and what polling costs.</summary>
public sealed class QueueTests
{
    [Fact]
    public async Task An_idle_queue_with_the_default_idle_backoff_makes_a_bounded_number_of_store_queries_in_a_simulated_hour()
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        var signal = host.Services.GetRequiredService<LocalSignals>().For("default");
        var start = host.Time.GetUtcNow();

        // Move the clock one second at a time, each time only once the poller is asleep again.
        while (host.Time.GetUtcNow() - start < TimeSpan.FromHours(1))
        {
            Assert.True(SpinWait.SpinUntil(() => signal.IsSleeping, TimeSpan.FromSeconds(10)), "the poller should go back to sleep");
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // 200 ms doubling to a 30 s cap (±10 % jitter): about 120 polls an hour, where a fixed 1 s poll makes 3,600
        // (and Hangfire's SQL storage makes about 2,000 a minute).
        Assert.InRange(store.ClaimCalls, 100, 140);
    }

    [Fact]
    public async Task A_local_enqueue_wakes_a_sleeping_poller_at_once_without_moving_the_clock()
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());
        var signal = host.Services.GetRequiredService<LocalSignals>().For("default");
        Assert.True(SpinWait.SpinUntil(() => signal.IsSleeping, TimeSpan.FromSeconds(10)));

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
        probe.ReleaseGate("b0").Open(); // one slot comes free, and both queues want it

        await host.Events.WaitFor(JobEventKind.Succeeded, urgent);
        Assert.False(probe.StartedGate("b2").IsOpen, "bulk took the slot the waiting queue was owed");

        foreach (var key in bulk)
        {
            probe.ReleaseGate(key).Open();
        }
    }
}
