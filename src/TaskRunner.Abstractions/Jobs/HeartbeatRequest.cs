namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.HeartbeatAsync"/>. A class with init properties, so fields can be added
/// without breaking backends or callers.</summary>
public sealed class HeartbeatRequest
{
    /// <summary>The leases to extend (each a job and the token of its claim).</summary>
    public required IReadOnlyList<JobLease> Leases { get; init; }

    /// <summary>The new expiry of every lease still held.</summary>
    public required DateTimeOffset LeaseExpiresAt { get; init; }

    /// <summary>The current time: a lease whose expiry is before it is lost (see the remarks on <see cref="IJobStore"/>).</summary>
    public required DateTimeOffset Now { get; init; }
}
