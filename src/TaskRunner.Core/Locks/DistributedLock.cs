namespace TaskRunner.Locks;

/// <summary>A held lock. The lost-token machinery (a source and a timer) is created only when someone asks for the token.</summary>
internal sealed class DistributedLock(ILockStore store, TimeProvider timeProvider, LockLease lease, TimeSpan defaultTimeToLive) : IDistributedLock
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _lost;
    private DateTimeOffset _expiresAt = lease.ExpiresAt;
    private bool _released;

    public string Name => lease.Name;

    public long FencingToken => lease.FencingToken;

    public DateTimeOffset ExpiresAt
    {
        get
        {
            lock (_gate)
            {
                return _expiresAt;
            }
        }
    }

    public CancellationToken LostToken
    {
        get
        {
            lock (_gate)
            {
                if (_lost is null)
                {
                    _lost = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
                    if (_released)
                    {
                        _lost.Cancel();
                    }
                    else
                    {
                        ArmExpiry();
                    }
                }

                return _lost.Token;
            }
        }
    }

    public async ValueTask<bool> RenewAsync(TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        var ttl = timeToLive ?? defaultTimeToLive;
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), ttl, $"The time-to-live of lock '{Name}' must be positive.");
        }

        var now = timeProvider.GetUtcNow();
        var renewed = !_released && await store.TryRenewAsync(Name, FencingToken, now, now + ttl, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (renewed)
            {
                _expiresAt = now + ttl;
                ArmExpiry();
            }
            else
            {
                _released = true;
                _lost?.Cancel();
            }
        }

        return renewed;
    }

    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
        }

        try
        {
            await store.ReleaseAsync(Name, FencingToken, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                // Not disposed: LostToken must stay readable (and cancelled) after release.
                _lost?.Cancel();
            }
        }
    }

    public ValueTask DisposeAsync() => ReleaseAsync(CancellationToken.None);

    private void ArmExpiry()
    {
        if (_lost is null || _lost.IsCancellationRequested)
        {
            return;
        }

        var left = _expiresAt - timeProvider.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            _lost.Cancel();
        }
        else
        {
            _lost.CancelAfter(left);
        }
    }
}
