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

    /// <summary>The result of a heartbeat that found <paramref name="lost"/> and <paramref name="cancellationRequested"/>
    /// (<see langword="null"/> for none): <see cref="AllHeld"/> when both are empty, so the common case allocates nothing.</summary>
    public static HeartbeatResult Of(IReadOnlyList<JobId>? lost, IReadOnlyList<JobId>? cancellationRequested) =>
        lost is not { Count: > 0 } && cancellationRequested is not { Count: > 0 }
            ? AllHeld
            : new HeartbeatResult { Lost = lost ?? [], CancellationRequested = cancellationRequested ?? [] };

    /// <summary>The result of a heartbeat whose store statement renewed the leases with ids in <paramref name="held"/>: every
    /// other lease of <paramref name="leases"/> is lost.</summary>
    public static HeartbeatResult Of(IReadOnlyList<JobLease> leases, IReadOnlySet<long> held, IReadOnlyList<JobId>? cancellationRequested)
    {
        ArgumentNullException.ThrowIfNull(leases);
        ArgumentNullException.ThrowIfNull(held);
        List<JobId>? lost = null;
        foreach (var lease in leases)
        {
            if (!held.Contains(lease.Id.Value))
            {
                (lost ??= []).Add(lease.Id);
            }
        }

        return Of(lost, cancellationRequested);
    }
}
