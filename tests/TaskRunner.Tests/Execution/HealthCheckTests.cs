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
        var signal = host.Services.GetRequiredService<LocalSignals>().For("default");

        while (host.Monitor.CircuitState == CircuitBreakerState.Closed)
        {
            Assert.True(SpinWait.SpinUntil(() => signal.IsSleeping || host.Monitor.CircuitState != CircuitBreakerState.Closed, TimeSpan.FromSeconds(10)));
            host.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.True(store.ClaimCalls < 20, "the circuit should open after 2 failed polls");
        }

        var result = await CheckAsync(host);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("circuit", result.Description, StringComparison.OrdinalIgnoreCase);
    }
}
