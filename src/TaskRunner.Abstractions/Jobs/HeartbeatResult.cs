namespace TaskRunner;

/// <summary>The outcome of <see cref="IJobStore.HeartbeatAsync"/>.</summary>
public sealed class HeartbeatResult
{
    /// <summary>A result with nothing lost and nothing to cancel.</summary>
    public static HeartbeatResult AllHeld { get; } = new();

    /// <summary>Leases that are no longer held (expired and recovered, or taken by another worker): stop those jobs.</summary>
    public IReadOnlyList<JobId> Lost { get; init; } = [];

    /// <summary>Held jobs whose cancellation was requested: fire their tokens.</summary>
    public IReadOnlyList<JobId> CancellationRequested { get; init; } = [];
}
