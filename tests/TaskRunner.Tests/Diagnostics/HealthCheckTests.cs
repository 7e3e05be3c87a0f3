using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TaskRunner.Diagnostics;
using TaskRunner.Storage;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Diagnostics;

public sealed class HealthCheckTests
{
    private static async Task<HealthCheckResult> CheckAsync(RunnerHost host) =>
        await new TaskRunnerHealthCheck(host.Monitor).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task A_running_runner_is_healthy_a_stopped_one_unhealthy()
    {
        var host = await RunnerHost.StartAsync(b => { });
        var monitor = host.Monitor;
        var states = new List<TaskRunnerState>();
        monitor.StateChanged += (_, state) => states.Add(state);

        var running = await CheckAsync(host);
        await host.Host.StopAsync();
        var stopped = await new TaskRunnerHealthCheck(monitor).CheckHealthAsync(new HealthCheckContext());
        host.Host.Dispose();

        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal("Closed", running.Data["circuit"]);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Equal([TaskRunnerState.Stopping, TaskRunnerState.Stopped], states);
    }

    [Fact]
    public async Task An_open_circuit_makes_the_runner_unhealthy_and_names_the_last_store_error()
    {
        var store = new FaultyJobStore(new InMemoryJobStore()) { FailClaims = true };
        await using var host = await RunnerHost.StartAsync(
            b => b.Configure(o => o.CircuitBreaker.FailureThreshold = 2),
            services: s => s.AddSingleton<IJobStore>(store));
        // Each poll is awaited until it has ended (the poller asleep again), not by the store's claim count: a failed
        // claim is counted by the store before the breaker hears of it, and once the circuit is open a poll is refused
        // without a store call, so a count read in between waited for a claim that never came (CI, under load).
        await store.WaitForClaimCalls(1);
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience), "the first poll should end");
        for (var i = 0; i < 5 && host.Monitor.CircuitState == CircuitBreakerState.Closed; i++)
        {
            host.AdvanceToNextPoll();
            Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience), "the poll should end");
        }

        Assert.Equal(CircuitBreakerState.Open, host.Monitor.CircuitState);
        var result = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("circuit", result.Description, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("database is locked (injected)", result.Description, StringComparison.Ordinal);
        Assert.IsType<JobStoreException>(result.Exception);
        Assert.Equal("database is locked (injected)", result.Data["lastStoreError"]);
    }

    [Fact]
    public async Task A_dead_store_on_an_idle_queue_opens_the_circuit_turns_health_unhealthy_with_the_error_counts_failed_polls_and_recovers()
    {
        // A store with a change version (SQLite): an idle poll's only store call is that cheap read.
        await using var factory = new SqliteStoreFactory();
        await factory.InitializeAsync();
        var store = new FaultyJobStore(factory.JobStore);
        await using var host = await RunnerHost.StartAsync(
            b => b.Configure(o =>
            {
                o.CircuitBreaker.FailureThreshold = 3;
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(10);
                o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(60);
                o.StaleLeaseCheckInterval = TimeSpan.FromHours(1); // only the poll loop calls the store here
            }),
            services: s => s.AddMetrics().AddSingleton<IJobStore>(store));
        using var metrics = new MeterCounts(host.Services);
        host.AdvanceToNextPoll();
        host.AdvanceToNextPoll();
        // Let the woken poll finish (asleep again) before the store dies, or it may fail too and be counted.
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience), "the poller should sleep again");
        var claims = store.ClaimCalls;
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);

        // The store dies: each idle poll's change check fails, and enough failures (FailureRatio over the window, which
        // also holds the warm-up's successes) open the circuit.
        var checksBefore = store.ChangeVersionCalls;
        store.FailChangeChecks = true;
        for (var i = 0; i < 10 && host.Monitor.CircuitState == CircuitBreakerState.Closed; i++)
        {
            var before = store.ChangeVersionCalls;
            host.AdvanceToNextPoll();
            Assert.True(SpinWait.SpinUntil(() => store.ChangeVersionCalls > before && (host.Monitor.CircuitState != CircuitBreakerState.Closed || host.Poller().IsSleeping), RunnerHost.Patience));
        }

        Assert.Equal(CircuitBreakerState.Open, host.Monitor.CircuitState);
        Assert.Equal(claims, store.ClaimCalls); // the failures were the change checks alone
        // The poll that opened it counts its failure after the breaker has opened: read the counter once it sleeps again.
        Assert.True(SpinWait.SpinUntil(() => host.Poller().IsSleeping, RunnerHost.Patience), "the poller should sleep again");
        var failedChecks = store.ChangeVersionCalls - checksBefore;
        Assert.InRange(failedChecks, 3, 10);
        Assert.Equal(failedChecks, metrics["taskrunner.polls.failed", "queue", "default"]); // each failed poll counted once
        var unhealthy = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Contains("unable to open database file (injected)", unhealthy.Description, StringComparison.Ordinal);
        Assert.Same(host.Monitor.LastStoreError, unhealthy.Exception);

        // The store comes back: after the break a half-open probe succeeds, the circuit closes and health recovers.
        store.FailChangeChecks = false;
        for (var i = 0; i < 4 && host.Monitor.CircuitState != CircuitBreakerState.Closed; i++)
        {
            host.AdvanceToNextPoll();
            SpinWait.SpinUntil(() => host.Monitor.CircuitState == CircuitBreakerState.Closed || host.Poller().IsSleeping, RunnerHost.Patience);
        }

        Assert.True(SpinWait.SpinUntil(() => host.Monitor.CircuitState == CircuitBreakerState.Closed, RunnerHost.Patience));
        Assert.Null(host.Monitor.LastStoreError);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
    }

    [Fact]
    public async Task A_store_failing_in_the_maintenance_loop_opens_the_circuit_and_health_turns_unhealthy_with_the_error()
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddQueue("default", q => q.UseFixedInterval(p => p.Interval = TimeSpan.FromDays(1))); // no poll in between
                b.Configure(o =>
                {
                    o.CircuitBreaker.FailureThreshold = 2;
                    o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(10);
                    o.CircuitBreaker.BreakDuration = TimeSpan.FromHours(1);
                    o.StaleLeaseCheckInterval = TimeSpan.FromMinutes(1);
                });
            },
            services: s => s.AddSingleton<IJobStore>(store));
        await store.WaitForRecoveries(1); // the sweep at start
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);

        // Recovery, counts and purge fail on the next maintenance tick: its failed calls (recovery, count, purge) are at
        // least as many as the calls that succeeded before (the start's sweep, perhaps the first claim), so that tick
        // opens the circuit. Awaited as that, not tick by tick through the recovery count: the store counts a failed
        // sweep before the breaker hears of it, and a sweep refused by the open circuit is never counted, so a further
        // tick waited for a sweep that never came (CI, under load).
        store.FailMaintenance = true;
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await store.WaitForRecoveries(2);
        Assert.True(SpinWait.SpinUntil(() => host.Monitor.CircuitState != CircuitBreakerState.Closed, RunnerHost.Patience), "the circuit should open");

        Assert.Equal(CircuitBreakerState.Open, host.Monitor.CircuitState);
        var result = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("disk I/O error (injected)", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_failed_store_call_with_the_circuit_closed_is_degraded_and_a_success_makes_it_healthy_again()
    {
        var store = new FaultyJobStore(new InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(b => { }, services: s => s.AddSingleton<IJobStore>(store));
        await store.WaitForClaimCalls(1);

        store.FailClaims = true;
        var before = store.ClaimCalls;
        host.AdvanceToNextPoll();
        await store.WaitForClaimCalls(before + 1);
        Assert.True(SpinWait.SpinUntil(() => host.Monitor.LastStoreError is not null && host.Poller().IsSleeping, RunnerHost.Patience));
        var degraded = await CheckAsync(host);

        store.FailClaims = false;
        host.AdvanceToNextPoll();
        Assert.True(SpinWait.SpinUntil(() => host.Monitor.LastStoreError is null, RunnerHost.Patience));
        var healthy = await CheckAsync(host);

        Assert.Equal(CircuitBreakerState.Closed, host.Monitor.CircuitState);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("database is locked (injected)", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
    }
}
