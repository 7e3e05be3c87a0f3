using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TaskRunner.Diagnostics;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Execution;

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
    public async Task An_open_circuit_makes_the_runner_degraded()
    {
        var store = new FaultyJobStore(new InMemoryJobStore()) { FailClaims = true };
        await using var host = await RunnerHost.StartAsync(
            b => b.Configure(o => o.CircuitBreaker.FailureThreshold = 2),
            services: s => s.AddSingleton<IJobStore>(store));
        for (var i = 0; i < 5 && host.Monitor.CircuitState == CircuitBreakerState.Closed; i++)
        {
            var before = store.ClaimCalls;
            host.AdvanceToNextPoll();
            await store.WaitForClaimCalls(before + 1);
            SpinWait.SpinUntil(() => host.Monitor.CircuitState != CircuitBreakerState.Closed || host.Poller().IsSleeping, TimeSpan.FromSeconds(10));
        }

        var result = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("circuit", result.Description, StringComparison.OrdinalIgnoreCase);
    }
}
