using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>The engine's side of concurrency limits of N (issue 10 item 5): it passes a queue's cluster-wide cap and a
/// job's key limit to the store, and checks their ranges. The limits themselves are store rules (JobStoreContract.Limits).</summary>
public sealed class ConcurrencyLimitTests
{
    [Fact]
    public async Task A_queue_cluster_cap_holds_running_jobs_below_the_queue_concurrency_until_one_finishes()
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("default", q =>
                {
                    q.Concurrency = 10;
                    q.ClusterConcurrency = 2;
                });

                // The polls below move the fake clock by minutes: leases must outlast them, or a lapsed lease (its
                // heartbeat still queued on a loaded machine) is recovered and frees a slot while its handler still runs.
                b.Configure(o =>
                {
                    o.LeaseDuration = TimeSpan.FromHours(1);
                    o.HeartbeatInterval = TimeSpan.FromMinutes(10);
                    o.StaleLeaseCheckInterval = TimeSpan.FromHours(1);
                });
            },
            services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        var probe = host.Services.GetRequiredService<Probe>();
        var ids = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await host.Client.EnqueueAsync(new Work($"b{i}", "block")));
        }

        await probe.StartedGate("b0").Task.WaitAsync(TimeSpan.FromSeconds(30));
        await probe.StartedGate("b1").Task.WaitAsync(TimeSpan.FromSeconds(30));

        // One more claim after both started: the store's cap, not a lack of polls, keeps the others waiting.
        var before = store.ClaimCalls;
        host.Wake();
        await store.WaitForClaimCalls(before + 1).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience));
        Assert.Equal(2, Volatile.Read(ref probe.Running));
        Assert.Equal(JobState.Pending, (await host.Client.GetAsync(ids[2]))!.State);

        // A slot freed under the cap is found by the next poll (as one freed in another process would be).
        probe.ReleaseGate("b0").Open();
        await host.Events.WaitFor(JobEventKind.Succeeded, ids[0]);
        var b2 = probe.StartedGate("b2").Task;
        for (var i = 0; i < 10 && !b2.IsCompleted; i++)
        {
            var calls = store.ClaimCalls;
            host.AdvanceToNextPoll();
            await store.WaitForClaimCalls(calls + 1).WaitAsync(TimeSpan.FromSeconds(30));
            SpinWait.SpinUntil(() => b2.IsCompleted || host.Poller().IsSleeping, RunnerHost.Patience);
        }

        await b2.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Pending, (await host.Client.GetAsync(ids[3]))!.State);
        Assert.True(Volatile.Read(ref probe.MaxRunning) <= 2, $"{probe.MaxRunning} ran at once");

        foreach (var key in new[] { "b1", "b2", "b3" })
        {
            probe.ReleaseGate(key).Open();
        }
    }

    [Fact]
    public async Task A_cluster_concurrency_below_1_fails_the_start_naming_the_option()
    {
        using var host = RunnerHost.Create(b => b.AddQueue("default", q => q.ClusterConcurrency = 0)).Host;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("TaskRunnerOptions.Queues[\"default\"].ClusterConcurrency is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 1 and 100000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)] // below the range
    [InlineData(10_001)] // above it
    public async Task A_concurrency_limit_out_of_range_is_rejected_at_enqueue_naming_the_value(int limit)
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            host.Client.EnqueueAsync(new Work("x"), new JobOptions { ConcurrencyKey = "k", ConcurrencyLimit = limit }).AsTask());

        Assert.Contains($"ConcurrencyLimit of job 'work' is {limit}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task A_registration_limit_reaches_the_store()
    {
        await using var host = await RunnerHost.StartAsync(
            b => b.AddJob<WorkHandler, Work>("work", o =>
            {
                o.ConcurrencyKey = "tenant";
                o.ConcurrencyLimit = 4;
            }),
            services: s => s.AddSingleton<Probe>());

        var id = await host.Client.EnqueueAsync(new Work("x"));

        var record = (await host.Client.GetAsync(id))!;
        Assert.Equal("tenant", record.ConcurrencyKey);
        Assert.Equal(4, record.ConcurrencyLimit);
    }
}
