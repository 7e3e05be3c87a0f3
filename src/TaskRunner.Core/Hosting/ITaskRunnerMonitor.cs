namespace TaskRunner;

/// <summary>The runner's observable state: lifecycle and circuit breaker. Resolve it from DI.</summary>
public interface ITaskRunnerMonitor
{
    /// <summary>The lifecycle state.</summary>
    TaskRunnerState State { get; }

    /// <summary>The state of the circuit breaker around the store calls of the poll and maintenance loops.</summary>
    CircuitBreakerState CircuitState { get; }

    /// <summary>The error of the last store call of the poll or maintenance loops, when it failed; <see langword="null"/>
    /// once a call succeeds again. While the circuit is open it is the failure that kept it open, so it says why the
    /// runner is unhealthy.</summary>
    Exception? LastStoreError { get; }

    /// <summary>The error that moved the runner to <see cref="TaskRunnerState.Failed"/>, if any.</summary>
    Exception? Failure { get; }

    /// <summary>Jobs running in this process now.</summary>
    int BusyWorkers { get; }

    /// <summary>Jobs of crashed workers (expired leases) recovered at the last stale-lease check.</summary>
    int StaleLeasesRecovered { get; }

    /// <summary>Pending jobs no live worker can run (no live node serves their queue, or none of those that do has their
    /// job name), as of this node's last registry check (<see cref="TaskRunnerOptions.NodeHeartbeatInterval"/>).</summary>
    IReadOnlyList<UnservedWork> UnservedWork { get; }

    /// <summary>Raised after every lifecycle change, with the new state.</summary>
    event EventHandler<TaskRunnerState>? StateChanged;
}
