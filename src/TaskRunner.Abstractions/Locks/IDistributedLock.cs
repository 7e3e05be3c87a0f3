namespace TaskRunner;

/// <summary>A held lock. Disposing it releases it.</summary>
public interface IDistributedLock : IAsyncDisposable
{
    /// <summary>The lock's name.</summary>
    string Name { get; }

    /// <summary>A number that strictly increases with every acquisition of this name, across processes:
    /// pass it to the resource the lock guards so it can reject a stale holder.</summary>
    long FencingToken { get; }

    /// <summary>When the lock expires unless renewed.</summary>
    DateTimeOffset ExpiresAt { get; }

    /// <summary>Fires when the lock is lost: it expired before a renewal, a renewal found another holder, or it was released.</summary>
    CancellationToken LostToken { get; }

    /// <summary>Extends the lock by <paramref name="timeToLive"/> from now (the original time-to-live when <see langword="null"/>).</summary>
    /// <returns>Whether the lock was still held; if not, <see cref="LostToken"/> fires.</returns>
    ValueTask<bool> RenewAsync(TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>Releases the lock if still held. Safe to call more than once.</summary>
    ValueTask ReleaseAsync(CancellationToken cancellationToken = default);
}
