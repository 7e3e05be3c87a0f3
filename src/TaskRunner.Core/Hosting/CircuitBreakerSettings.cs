namespace TaskRunner;

/// <summary>The circuit breaker (Polly.Core) around store calls in the poll loop.</summary>
public sealed class CircuitBreakerSettings
{
    /// <summary>The fewest store calls within <see cref="SamplingDuration"/> before the circuit may open: with every call
    /// failing, this many failures in a row open it.</summary>
    /// <value>Defaults to 5. Range 2–1000.</value>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>The share of failed calls within <see cref="SamplingDuration"/> at or above which the circuit opens.</summary>
    /// <value>Defaults to 0.5. Range 0.1–1.</value>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The window in which failures are counted.</summary>
    /// <value>Defaults to 30 seconds. Range 500 ms – 1 hour.</value>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before a half-open probe.</summary>
    /// <value>Defaults to 15 seconds. Range 500 ms – 1 hour.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
