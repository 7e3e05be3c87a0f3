namespace TaskRunner;

/// <summary>The state of the circuit breaker around the store in the poll loop.</summary>
public enum CircuitBreakerState
{
    /// <summary>Store calls flow.</summary>
    Closed,

    /// <summary>Too many recent failures: polling pauses.</summary>
    Open,

    /// <summary>A probe call is allowed through to test recovery.</summary>
    HalfOpen,
}
