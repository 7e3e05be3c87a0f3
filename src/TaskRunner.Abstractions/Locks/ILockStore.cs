namespace TaskRunner;

/// <summary>
/// The storage primitive behind <see cref="IDistributedLockProvider"/>: each backend implements these three atomic
/// operations, and the core builds waiting, renewal and the lost-lock token on top of them once for all backends.
/// </summary>
public interface ILockStore
{
    /// <summary>In one atomic step: takes <paramref name="name"/> if it is free or its holder's lease expired at or before
    /// <paramref name="now"/>, giving it a fencing token greater than any the name had before.</summary>
    /// <returns>The lease, or <see langword="null"/> if another holder's lease is still valid.</returns>
    ValueTask<LockLease?> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Moves the expiry of a lease still held under <paramref name="fencingToken"/> and not yet expired at <paramref name="now"/>.</summary>
    /// <returns>Whether it was still held.</returns>
    ValueTask<bool> TryRenewAsync(string name, long fencingToken, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Frees the lock if still held under <paramref name="fencingToken"/>; the name keeps its token history.</summary>
    /// <returns>Whether it was still held.</returns>
    ValueTask<bool> ReleaseAsync(string name, long fencingToken, CancellationToken cancellationToken = default);

    /// <summary>The locks held at <paramref name="now"/> (taken, not released, lease not expired), ordered by name
    /// (ordinal): for operators and dashboards. A snapshot: a lock may be released or taken over right after.</summary>
    /// <returns>Each held lock's name, owner, fencing token and expiry.</returns>
    ValueTask<IReadOnlyList<LockLease>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}
