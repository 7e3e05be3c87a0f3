using Cronos;

namespace TaskRunner;

/// <summary>Polls only inside cron-defined windows, delegating to an inner strategy there, and sleeps until the next
/// window opens outside them (see <see cref="ScheduledWindowPollingOptions"/>).</summary>
internal sealed class ScheduledWindowPolling : IPollingStrategy
{
    /// <summary>The longest wait decided; timers cannot wait much longer (about 49.7 days).</summary>
    internal static readonly TimeSpan MaxSleep = TimeSpan.FromDays(30);

    private readonly IReadOnlyList<(CronExpression Cron, TimeSpan Duration)> _windows;
    private readonly TimeZoneInfo _zone;
    private readonly IPollingStrategy _inner;
    private readonly TimeProvider _timeProvider;
    private int _batchSize;

    /// <summary>Creates the strategy.</summary>
    /// <param name="windows">Parsed windows (see <see cref="ScheduledWindowPollingOptions.Compile"/>).</param>
    /// <param name="zone">The zone the cron expressions are read in.</param>
    /// <param name="inner">Decides inside the windows.</param>
    /// <param name="timeProvider">Read for <see cref="Initial"/> only; later decisions use <see cref="PollOutcome.Now"/>.</param>
    public ScheduledWindowPolling(
        IReadOnlyList<(CronExpression Cron, TimeSpan Duration)> windows,
        TimeZoneInfo zone,
        IPollingStrategy inner,
        TimeProvider timeProvider)
    {
        _windows = windows;
        _zone = zone;
        _inner = inner;
        _timeProvider = timeProvider;
        _batchSize = inner.Initial.BatchSize;
    }

    public PollDecision Initial
    {
        get
        {
            var now = _timeProvider.GetUtcNow();
            return IsInside(now) ? Fit(now, _inner.Initial) : UntilNextOpening(now);
        }
    }

    public PollDecision Decide(in PollOutcome outcome)
    {
        var now = outcome.Now;

        // Outside a window (a poll that began just before the close) the inner strategy has no say: it only sees polls inside.
        return IsInside(now) ? Fit(now, _inner.Decide(outcome)) : UntilNextOpening(now);
    }

    /// <summary>Outside the windows no wake-up may claim: the wait is until the next opening. Inside, the inner strategy has its say.</summary>
    public TimeSpan GetClaimDelay(DateTimeOffset now) => IsInside(now) ? _inner.GetClaimDelay(now) : UntilNextOpening(now).Delay;

    /// <summary>Whether some window is open at <paramref name="instant"/>.</summary>
    internal bool IsInside(DateTimeOffset instant)
    {
        foreach (var (cron, duration) in _windows)
        {
            // A window is open at t when one of its occurrences lies in (t − duration, t].
            var opening = cron.GetNextOccurrence(instant - duration, _zone, inclusive: false);
            if (opening is { } o && o <= instant)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first window opening strictly after <paramref name="instant"/>, if any.</summary>
    internal DateTimeOffset? NextOpening(DateTimeOffset instant)
    {
        DateTimeOffset? first = null;
        foreach (var (cron, _) in _windows)
        {
            var opening = cron.GetNextOccurrence(instant, _zone, inclusive: false);
            if (opening is { } o && (first is null || o < first))
            {
                first = o;
            }
        }

        return first;
    }

    // Keeps the inner decision when it lands inside a window; otherwise waits for the next opening instead, so no poll
    // is scheduled outside the windows and no opening is slept through.
    private PollDecision Fit(DateTimeOffset now, PollDecision inner)
    {
        _batchSize = inner.BatchSize;
        var next = NextOpening(now);
        var at = now + inner.Delay;
        return next is { } n && n <= at
            ? Sleep(now, n)
            : IsInside(at) ? inner : UntilNextOpening(now);
    }

    private PollDecision UntilNextOpening(DateTimeOffset now) =>
        NextOpening(now) is { } next ? Sleep(now, next) : new PollDecision(MaxSleep, _batchSize);

    private PollDecision Sleep(DateTimeOffset now, DateTimeOffset until)
    {
        var delay = until - now;
        return new PollDecision(delay > MaxSleep ? MaxSleep : delay, _batchSize);
    }
}
