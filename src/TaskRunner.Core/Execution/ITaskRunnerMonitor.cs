namespace TaskRunner;

/// <summary>The runner's observable state: lifecycle and circuit breaker. Resolve it from DI.</summary>
public interface ITaskRunnerMonitor
{
    /// <summary>The lifecycle state.</summary>
    TaskRunnerState State { get; }

    /// <summary>The state of the circuit breaker around store calls in the poll loop.</summary>
    CircuitBreakerState CircuitState { get; }

    /// <summary>The error that moved the runner to <see cref="TaskRunnerState.Failed"/>, if any.</summary>
    Exception? Failure { get; }

    /// <summary>Jobs running in this process now.</summary>
    int BusyWorkers { get; }

    /// <summary>Jobs of crashed workers (expired leases) recovered at the last stale-lease check.</summary>
    int StaleLeasesRecovered { get; }

    /// <summary>Raised after every lifecycle change, with the new state.</summary>
    event EventHandler<TaskRunnerState>? StateChanged;
}
