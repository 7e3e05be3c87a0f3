using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TaskRunner.Diagnostics;

/// <summary>
/// Reports the runner's health: healthy while running with the circuit closed; degraded while the circuit is open or
/// probing, or while stale leases (crashed workers) were recovered at the last check; unhealthy when not running.
/// Add it with <c>services.AddHealthChecks().AddCheck&lt;TaskRunnerHealthCheck&gt;("taskrunner")</c>.
/// </summary>
public sealed class TaskRunnerHealthCheck(ITaskRunnerMonitor monitor) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["state"] = monitor.State.ToString(),
            ["circuit"] = monitor.CircuitState.ToString(),
            ["busyWorkers"] = monitor.BusyWorkers,
            ["staleLeasesRecovered"] = monitor.StaleLeasesRecovered,
        };

        var result = monitor.State switch
        {
            TaskRunnerState.Running when monitor.CircuitState != CircuitBreakerState.Closed =>
                HealthCheckResult.Degraded($"The store circuit breaker is {monitor.CircuitState}: polling is paused.", data: data),
            TaskRunnerState.Running when monitor.StaleLeasesRecovered > 0 =>
                HealthCheckResult.Degraded($"{monitor.StaleLeasesRecovered} jobs of crashed workers were recovered at the last check.", data: data),
            TaskRunnerState.Running => HealthCheckResult.Healthy("Running.", data),
            TaskRunnerState.Failed => HealthCheckResult.Unhealthy("The runner failed.", monitor.Failure, data),
            _ => HealthCheckResult.Unhealthy($"The runner is {monitor.State}.", data: data),
        };
        return Task.FromResult(result);
    }
}
