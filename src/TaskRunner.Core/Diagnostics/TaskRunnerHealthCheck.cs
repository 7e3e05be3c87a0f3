using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TaskRunner.Diagnostics;

/// <summary>
/// Reports the runner's health: healthy while running with the circuit closed and the last store call of the poll and
/// maintenance loops successful; unhealthy while the store keeps failing (the circuit breaker is open, or half-open with
/// no call succeeded yet), naming the last error; degraded when the last store call failed but the circuit is still
/// closed, while pending jobs wait for a worker nobody runs (naming their queues and job names), or while stale leases
/// (crashed workers) were recovered at the last check; unhealthy when not running.
/// Add it with <c>services.AddHealthChecks().AddCheck&lt;TaskRunnerHealthCheck&gt;("taskrunner")</c>.
/// </summary>
public sealed class TaskRunnerHealthCheck(ITaskRunnerMonitor monitor) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var storeError = monitor.LastStoreError;
        var data = new Dictionary<string, object>
        {
            ["state"] = monitor.State.ToString(),
            ["circuit"] = monitor.CircuitState.ToString(),
            ["busyWorkers"] = monitor.BusyWorkers,
            ["staleLeasesRecovered"] = monitor.StaleLeasesRecovered,
        };
        if (storeError is not null)
        {
            data["lastStoreError"] = storeError.Message;
        }

        var unserved = monitor.UnservedWork;
        if (unserved.Count > 0)
        {
            data["unserved"] = string.Join("; ", unserved);
        }

        var result = monitor.State switch
        {
            // The breaker opens only after repeated failures, and leaves half-open only on a success: the store keeps failing.
            TaskRunnerState.Running when monitor.CircuitState != CircuitBreakerState.Closed =>
                HealthCheckResult.Unhealthy(
                    $"The store keeps failing: the circuit breaker is {monitor.CircuitState}, polling and maintenance are paused. Last error: {storeError?.Message ?? "unknown"}",
                    storeError,
                    data),
            TaskRunnerState.Running when storeError is not null =>
                HealthCheckResult.Degraded($"The last store call failed: {storeError.Message}", storeError, data),
            TaskRunnerState.Running when unserved.Count > 0 =>
                HealthCheckResult.Degraded($"Pending jobs wait for a worker nobody runs: {string.Join("; ", unserved)}.", data: data),
            TaskRunnerState.Running when monitor.StaleLeasesRecovered > 0 =>
                HealthCheckResult.Degraded($"{monitor.StaleLeasesRecovered} jobs of crashed workers were recovered at the last check.", data: data),
            TaskRunnerState.Running => HealthCheckResult.Healthy("Running.", data),
            TaskRunnerState.Failed => HealthCheckResult.Unhealthy("The runner failed.", monitor.Failure, data),
            _ => HealthCheckResult.Unhealthy($"The runner is {monitor.State}.", data: data),
        };
        return Task.FromResult(result);
    }
}
