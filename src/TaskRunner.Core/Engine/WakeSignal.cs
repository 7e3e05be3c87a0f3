namespace TaskRunner;

/// <summary>An auto-reset signal that a loop awaits with a timeout measured on a <see cref="TimeProvider"/>.
/// Setting it when already set costs one read, so hot paths may set it freely.</summary>
internal sealed class WakeSignal(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private bool _set;
    private TaskCompletionSource<bool>? _waiter;
    private int _sleeping;
    private long _wakeAtTicks;

    /// <summary>Whether a waiter is asleep with its timeout armed (tests use it to move a fake clock only then).</summary>
    public bool IsSleeping => Volatile.Read(ref _sleeping) == 1;

    /// <summary>When the sleeping waiter's timeout ends (<see cref="DateTimeOffset.MaxValue"/> for no timeout).</summary>
    public DateTimeOffset WakeAt => new(Volatile.Read(ref _wakeAtTicks), TimeSpan.Zero);

    public void Set()
    {
        if (Volatile.Read(ref _set))
        {
            return;
        }

        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _set = waiter is null;
            if (waiter is not null)
            {
                Volatile.Write(ref _sleeping, 0);
            }
        }

        if (waiter is not null && !waiter.TrySetResult(true))
        {
            // The waiter timed out or was cancelled just before: keep the signal for the next wait.
            lock (_gate)
            {
                _set = true;
            }
        }
    }

    /// <summary>Waits until set or until <paramref name="timeout"/> elapses; returns whether it was set.</summary>
    public ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitCoreAsync(timeout == Timeout.InfiniteTimeSpan ? null : timeProvider.GetUtcNow() + timeout, cancellationToken);

    /// <summary>Waits until set or until the clock reaches <paramref name="deadline"/>, however the clock moves meanwhile
    /// (see <see cref="DeadlineTimer"/>); returns whether it was set.</summary>
    public ValueTask<bool> WaitUntilAsync(DateTimeOffset deadline, CancellationToken cancellationToken) =>
        WaitCoreAsync(deadline, cancellationToken);

    private async ValueTask<bool> WaitCoreAsync(DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return true;
            }

            if (deadline is { } passed && passed <= timeProvider.GetUtcNow())
            {
                return false;
            }

            waiter = _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        using var timer = deadline is not { } due
            ? null
            : DeadlineTimer.Start(
                timeProvider,
                due,
                _ =>
                {
                    // A fake clock may run this late, after the wait ended: only the wait still pending is marked awake.
                    lock (_gate)
                    {
                        if (_waiter == waiter)
                        {
                            Volatile.Write(ref _sleeping, 0);
                        }

                        // Under the lock, so the wait is never marked asleep after it ended (continuations run async).
                        waiter.TrySetResult(false);
                    }
                },
                null);
        await using var registration = cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetCanceled(), waiter).ConfigureAwait(false);
        try
        {
            var wakeAt = (deadline ?? DateTimeOffset.MaxValue).UtcTicks;
            lock (_gate)
            {
                // Marked asleep only while still pending: a Set or the timer may have ended the wait already.
                if (_waiter == waiter && !waiter.Task.IsCompleted)
                {
                    Volatile.Write(ref _wakeAtTicks, wakeAt);
                    Volatile.Write(ref _sleeping, 1);
                }
            }

            return await waiter.Task.ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                Volatile.Write(ref _sleeping, 0);
                if (_waiter == waiter)
                {
                    _waiter = null;
                }
            }
        }
    }
}
