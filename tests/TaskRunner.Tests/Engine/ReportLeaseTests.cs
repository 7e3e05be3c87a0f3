using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>A job's lease is held until its outcome is stored: a report that waits to be written (a slow or locked store)
/// is renewed by the heartbeat like a running job, so no recovery hands the finished job out again. On a fake clock, so it
/// tests the rule deterministically; the multi-process stress test cannot without leases short enough to lapse under load.</summary>
public sealed class ReportLeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_finished_jobs_report_waiting_to_be_written_keeps_its_lease_through_three_lease_lengths_and_the_job_runs_once()
    {
        var hold = new Gate();
        var store = new FaultyJobStore(new InMemoryJobStore()) { HoldCompletions = hold };
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.Configure(o =>
                {
                    o.LeaseDuration = Lease;
                    o.HeartbeatInterval = Heartbeat;
                    o.StaleLeaseCheckInterval = Heartbeat; // a recovery sweep at every step: it would find a lapsed lease
                });
            },
            services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        var probe = host.Services.GetRequiredService<Probe>();
        var id = await host.Client.EnqueueAsync(new Work("finished"));
        await store.WaitForCompleteCalls(1); // its handler ran; its report is held on its way to the store

        // Nine heartbeats: 90 s, three lease lengths. Each is awaited before the clock moves on, so the lease is renewed at
        // every step; without the renewal it would lapse at 30 s and a sweep would hand the job out again.
        for (var beat = 1; beat <= 9; beat++)
        {
            host.Time.Advance(Heartbeat);
            await store.WaitForHeartbeats(beat);
            var held = (await host.Store.GetAsync(id))!;
            Assert.Equal(JobState.Running, held.State);
            Assert.True(held.LeaseExpiresAt > host.Time.GetUtcNow(), $"the lease lapsed at heartbeat {beat}: it expires {held.LeaseExpiresAt:O}");
        }

        hold.Open();

        await host.Events.WaitFor(JobEventKind.Succeeded, id);
        var job = (await host.Client.GetAsync(id))!;
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(1, job.LeaseToken); // claimed once
        Assert.Single(probe.Runs, r => r.Key == "finished");
        Assert.Empty(store.Rejected); // its report was accepted under its first lease
    }
}
