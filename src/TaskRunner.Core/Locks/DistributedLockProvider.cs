namespace TaskRunner.Locks;

/// <summary>
/// <see cref="IDistributedLockProvider"/> for every backend: waiting with backoff, renewal and the lost-lock token are
/// built here once on the three atomic operations of an <see cref="ILockStore"/>.
/// </summary>
internal sealed class DistributedLockProvider(ILockStore store, TimeProvider timeProvider, NodeIdentity node) : IDistributedLockProvider
{
    /// <summary>The longest lock name accepted.</summary>
    public const int MaxNameLength = 200;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(500);

    public async ValueTask<IDistributedLock?> TryAcquireAsync(string name, TimeSpan timeToLive, TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        if (timeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, $"The time-to-live of lock '{name}' must be positive.");
        }

        if (wait < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, $"The wait for lock '{name}' must not be negative.");
        }

        // Not a Polly retry: nothing failed, the lock is held. This waits for it until a deadline, trimming the last pause to
        // the time left so a caller's wait is honoured to the tick on the injected clock, and yields even when the pause is
        // zero; a retry strategy would need a per-call delay generator and deadline to say the same, in more code.
        var deadline = timeProvider.GetUtcNow() + wait;
        var retryDelay = FirstRetryDelay;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            var lease = await store.TryAcquireAsync(name, node.Id, now, now + timeToLive, cancellationToken).ConfigureAwait(false);
            if (lease is { } held)
            {
                return new DistributedLock(store, timeProvider, held, timeToLive);
            }

            var remaining = deadline - timeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            // The holder may release at any moment; retry soon at first, then less often.
            await Task.Delay(retryDelay < remaining ? retryDelay : remaining, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxNameLength || string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"Lock name '{name}' is invalid: it must be 1–{MaxNameLength} characters and not blank.", nameof(name));
        }
    }
}
