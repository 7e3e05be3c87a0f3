namespace TaskRunner;

/// <summary>Named locks with a time-to-live, shared by every process that uses the same backend.</summary>
public interface IDistributedLockProvider
{
    /// <summary>Tries to acquire <paramref name="name"/> for <paramref name="timeToLive"/>, waiting up to
    /// <paramref name="wait"/> for a holder to release it or for its lease to expire.</summary>
    /// <param name="name">The lock's name (1–200 characters).</param>
    /// <param name="timeToLive">How long the lock is held unless renewed.</param>
    /// <param name="wait">How long to keep trying; <see cref="TimeSpan.Zero"/> to try once.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock, or <see langword="null"/> if it could not be had in time.</returns>
    ValueTask<IDistributedLock?> TryAcquireAsync(string name, TimeSpan timeToLive, TimeSpan wait = default, CancellationToken cancellationToken = default);
}
