using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

public sealed class PrefetchTests
{
    private static Task<RunnerHost> StartAsync(int prefetch) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("default", q =>
                {
                    q.Concurrency = 1;
                    q.Prefetch = prefetch;
                });
            },
            services: s => s.AddSingleton<Probe>());

    [Fact]
    public async Task A_queue_claims_its_prefetch_beyond_its_worker_slots_and_no_more()
    {
        await using var host = await StartAsync(prefetch: 2);
        var probe = host.Services.GetRequiredService<Probe>();
        var keys = new[] { "p0", "p1", "p2", "p3" };
        var ids = await host.Client.EnqueueManyAsync(keys.Select(k => new Work(k, "block")));
        await probe.StartedGate("p0").Task;

        var counts = await host.Store.CountAsync("default");
        Assert.Equal(3, counts.Running); // one running, two waiting for the worker
        Assert.Equal(1, counts.Pending);
        Assert.Equal(1, probe.MaxRunning);

        foreach (var key in keys)
        {
            probe.ReleaseGate(key).Open();
        }

        await host.Events.WaitFor(JobEventKind.Succeeded, ids[^1]);
        foreach (var id in ids)
        {
            Assert.Equal(1, (await host.Client.GetAsync(id))!.Attempts);
        }
    }

    [Fact]
    public async Task A_prefetched_job_whose_lease_would_lapse_before_the_next_heartbeat_is_renewed_not_handed_back()
    {
        await using var host = await StartAsync(prefetch: 1); // lease 30 s, heartbeat 10 s (defaults)
        var probe = host.Services.GetRequiredService<Probe>();
        var ids = await host.Client.EnqueueManyAsync([new Work("first", "block"), new Work("second")]);
        await probe.StartedGate("first").Task;
        Assert.Equal(2, (await host.Store.CountAsync("default")).Running); // "second" is prefetched

        host.Time.Advance(TimeSpan.FromSeconds(21)); // "second" had 9 s of lease left, less than a heartbeat, unless renewed
        probe.ReleaseGate("first").Open();

        // Its lease is renewed (by the heartbeat, which covers prefetched jobs, or before it starts): it runs once, as
        // attempt 1, under its first claim; before, it was handed back and claimed a second time.
        var started = await host.Events.WaitFor(JobEventKind.Started, ids[1]);
        await host.Events.WaitFor(JobEventKind.Succeeded, ids[1]);
        Assert.Equal(1, started.Attempt);
        Assert.Single(probe.Runs, r => r.Key == "second");
        var job = await host.Client.GetAsync(ids[1]);
        Assert.Equal(1, job!.Attempts);
        Assert.Equal(1, job.LeaseToken); // claimed once
    }
}
