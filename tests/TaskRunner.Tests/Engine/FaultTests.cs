using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>Crashed and partitioned workers, and a sick store: leases, fencing and the circuit breaker.</summary>
public sealed class FaultTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    private static async Task<(RunnerHost Host, FaultyJobStore Store, Probe Probe)> StartAsync(Action<TaskRunnerOptions>? options = null)
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("default", q => q.Concurrency = 1);
                b.Configure(o =>
                {
                    o.LeaseDuration = Lease;
                    o.HeartbeatInterval = TimeSpan.FromSeconds(5);
                    o.StaleLeaseCheckInterval = TimeSpan.FromMinutes(30);
                    options?.Invoke(o);
                });
            },
            services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        return (host, store, host.Services.GetRequiredService<Probe>());
    }

    /// <summary>Worker A stops heart-beating (partitioned); its lease expires, the job is recovered and claimed by
    /// worker B. Returns B's claim.</summary>
    private static async Task<ClaimedJob> PartitionAndTakeOverAsync(RunnerHost host, FaultyJobStore store, JobId id)
    {
        store.FailHeartbeats = true;
        host.Time.Advance(Lease + TimeSpan.FromSeconds(1));

        var recovered = await store.RecoverExpiredLeasesAsync(host.Time.GetUtcNow(), 100);
        Assert.Equal(new RecoveryResult(1, 0), recovered);
        var claimed = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 1, Owner = "worker-b", Now = host.Time.GetUtcNow(), LeaseDuration = Lease });
        var b = Assert.Single(claimed);
        Assert.Equal(id, b.Id);
        Assert.Equal(2, b.Attempt); // the lost attempt counts
        return b;
    }

    [Fact]
    public async Task A_job_whose_lease_expired_is_rerun_by_another_worker_and_the_first_workers_late_completion_is_rejected()
    {
        var (host, store, probe) = await StartAsync();
        await using var _ = host;
        var id = await host.Client.EnqueueAsync(new Work("x", "block"));
        await probe.StartedGate("x").Task;

        var b = await PartitionAndTakeOverAsync(host, store, id);
        Assert.True(b.LeaseToken > (await store.GetAsync(id))!.LeaseToken - 1);
        Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, b.LeaseToken, Encoding.UTF8.GetBytes("\"from B\""))], Now = host.Time.GetUtcNow() }));

        probe.ReleaseGate("x").Open(); // A's handler returns late and A reports under its old token
        await store.RejectedSignal.Task;

        Assert.Equal(id, Assert.Single(store.Rejected));
        var job = await store.GetAsync(id);
        Assert.Equal(JobState.Succeeded, job!.State);
        Assert.Equal("worker-b", job.Owner);
        Assert.Equal("\"from B\"", Encoding.UTF8.GetString(job.Result!.Value.Span));
        Assert.DoesNotContain(host.Events.All, e => e.Kind == JobEventKind.Succeeded && e.JobId == id);
    }

    [Fact]
    public async Task A_worker_that_lost_its_lease_sees_its_handlers_token_fire_at_the_next_heartbeat()
    {
        var (host, store, probe) = await StartAsync();
        await using var _ = host;
        var id = await host.Client.EnqueueAsync(new Work("y", "block-cancellable"));
        await probe.StartedGate("y").Task;
        await PartitionAndTakeOverAsync(host, store, id);

        store.FailHeartbeats = false; // the partition heals: A's next heartbeat learns the lease is gone
        host.Time.Advance(TimeSpan.FromSeconds(5));

        await probe.TokenFiredGate("y").Task;
        var job = await store.GetAsync(id);
        Assert.Equal(JobState.Running, job!.State); // B's run is untouched
        Assert.Equal("worker-b", job.Owner);
    }

    [Fact]
    public async Task Stale_recovery_dead_letters_a_job_whose_lost_attempt_was_its_last()
    {
        var (host, store, probe) = await StartAsync(o => o.StaleLeaseCheckInterval = TimeSpan.FromSeconds(15));
        await using var _ = host;
        var id = await host.Client.EnqueueAsync(new Work("z", "block"), new JobOptions { MaxAttempts = 1 });
        await probe.StartedGate("z").Task;
        store.FailHeartbeats = true;
        var sweeps = store.Recoveries; // the sweep at start

        host.Time.Advance(TimeSpan.FromSeconds(15)); // the runner's own sweeper finds the expired lease

        // The sweep runs on the maintenance loop a moment after the clock moved: await it, then look at its effect.
        await store.WaitForRecoveries(sweeps + 1);
        var job = await store.GetAsync(id);
        Assert.Equal(JobState.DeadLettered, job!.State);
        Assert.Equal("LeaseExpired", job.LastError!.Type);
        probe.ReleaseGate("z").Open();
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_store_failures_pauses_polling_probes_half_open_and_closes_on_success()
    {
        var (host, store, _) = await StartAsync(o =>
        {
            o.CircuitBreaker.FailureThreshold = 3;
            o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(60);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(10); // polls are 30 s apart here
        });
        await using var __ = host;
        await store.WaitForClaimCalls(1); // the first poll, at start
        store.FailClaims = true;

        // Failing polls, each after the idle backoff, until three failures in the window open the circuit.
        var failedPolls = 0;
        while (host.Monitor.CircuitState == CircuitBreakerState.Closed)
        {
            Assert.True(++failedPolls <= 3, "the circuit should open after 3 failed polls");
            var before = store.ClaimCalls;
            host.AdvanceToNextPoll();
            await store.WaitForClaimCalls(before + 1);
            SpinWait.SpinUntil(() => host.Monitor.CircuitState != CircuitBreakerState.Closed || host.Poller().IsSleeping, RunnerHost.Patience);
        }

        Assert.Equal(CircuitBreakerState.Open, host.Monitor.CircuitState);
        var whenOpened = store.ClaimCalls;
        var openedAt = host.Time.GetUtcNow();

        // While open, polling pauses: the next poll makes no store call, and the poller then sleeps out the break.
        host.AdvanceToNextPoll();
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience));
        Assert.Equal(whenOpened, store.ClaimCalls);
        Assert.True(host.Poller().WakeAt >= openedAt + TimeSpan.FromSeconds(59), $"the poller should sleep until the break ends, not {host.Poller().WakeAt - openedAt}");

        // After the break, one probe goes through half-open; it succeeds and the circuit closes.
        store.FailClaims = false;
        var hold = new Gate();
        store.HoldClaims = hold;
        host.AdvanceToNextPoll();
        await store.WaitForClaimCalls(whenOpened + 1);
        Assert.Equal(CircuitBreakerState.HalfOpen, host.Monitor.CircuitState);
        store.HoldClaims = null;
        hold.Open();
        Assert.True(SpinWait.SpinUntil(() => host.Monitor.CircuitState == CircuitBreakerState.Closed, RunnerHost.Patience));

        var id = await host.Client.EnqueueAsync(new Work("after"));
        await host.Events.WaitFor(JobEventKind.Succeeded, id);
    }
}
