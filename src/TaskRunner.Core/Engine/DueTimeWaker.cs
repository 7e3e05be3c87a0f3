using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// Wakes the local pollers when a delayed job or a retry falls due. The engine owns it, so due times are kept wherever
/// jobs run, whether or not the recurring scheduler is enabled. It sleeps until the earliest run-at it knows of; after
/// each wake it asks the store for the earliest run-at after now, so the next one is armed at once. Local enqueues and
/// failures tell it their run-at (<see cref="Notify"/>); jobs delayed by other processes are found at the store check
/// (<see cref="SchedulerOptions.StoreCheckInterval"/>).
/// </summary>
internal sealed class DueTimeWaker
{
    private const long NotArmed = long.MaxValue;

    private readonly IJobStore _store;
    private readonly LocalSignals _signals;
    private readonly TimeProvider _time;
    private readonly TimeSpan _storeCheckInterval;
    private readonly ILogger _logger;
    private readonly WakeSignal _changed;
    private long _notifiedTicks = NotArmed;
    private long _armedTicks = NotArmed;

    public DueTimeWaker(IJobStore store, LocalSignals signals, TimeProvider time, IOptions<SchedulerOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _store = store;
        _signals = signals;
        _time = time;
        _storeCheckInterval = options.Value.StoreCheckInterval;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("TaskRunner");
        _changed = new WakeSignal(time);
    }

    /// <summary>The signal the loop sleeps on (tests read <see cref="WakeSignal.IsSleeping"/> and <see cref="WakeSignal.WakeAt"/>).</summary>
    internal WakeSignal Sleep => _changed;

    /// <summary>Test seam: raised after each wake of the pollers, with the instant it happened.</summary>
    internal event Action<DateTimeOffset>? WokePollers;

    /// <summary>A job was stored here to run at <paramref name="runAt"/> (a delayed job, a retry): if that is earlier than
    /// what the loop sleeps until, the loop re-arms for it. Cheap enough to call once per job.</summary>
    public void Notify(DateTimeOffset runAt)
    {
        var ticks = runAt.UtcTicks;
        var seen = Volatile.Read(ref _notifiedTicks);
        while (ticks < seen)
        {
            var prior = Interlocked.CompareExchange(ref _notifiedTicks, ticks, seen);
            if (prior == seen)
            {
                break;
            }

            seen = prior;
        }

        // Read after recording: the loop marks itself unarmed before it takes the recorded time, so one of the two sees
        // the other and the time is never left behind a longer sleep.
        if (ticks < Volatile.Read(ref _armedTicks))
        {
            _changed.Set();
        }
    }

    /// <summary>Runs until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        DateTimeOffset? next = null;
        var nextStoreCheck = DateTimeOffset.MinValue;
        var read = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Volatile.Write(ref _armedTicks, NotArmed);
                var now = _time.GetUtcNow();
                if (read || now >= nextStoreCheck)
                {
                    next = await _store.GetNextRunAtAsync(now, stop).ConfigureAwait(false);
                    nextStoreCheck = now + _storeCheckInterval;
                    read = false;
                }

                var notified = Interlocked.Exchange(ref _notifiedTicks, NotArmed);
                if (notified != NotArmed && (next is null || notified < next.Value.UtcTicks))
                {
                    next = new DateTimeOffset(notified, TimeSpan.Zero);
                }

                if (next is { } due && due <= now)
                {
                    // Everything due by now is claimable: the pollers take it (or find it once a slot or key frees up).
                    // What comes after is read from the store, so the next due time is armed at once.
                    _signals.WakeAll();
                    WokePollers?.Invoke(now);
                    next = null;
                    read = true;
                    continue;
                }

                var until = next is { } n && n < nextStoreCheck ? n : nextStoreCheck;
                Volatile.Write(ref _armedTicks, until.UtcTicks);
                // Armed for the instant, not for "until - now": the clock may have moved since it was read above.
                await _changed.WaitUntilAsync(until, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The loop must outlive a failing store call; it logs, waits and reads again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.MaintenanceFailed(_logger, "due-time read", ex);
                read = true;
                try
                {
                    await Task.Delay(_storeCheckInterval, _time, stop).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }
}
