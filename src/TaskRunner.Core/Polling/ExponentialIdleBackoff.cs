namespace TaskRunner;

/// <summary>
/// Exponential backoff while a queue is idle: the default polling strategy (see <see cref="IdleBackoffPollingOptions"/>).
/// </summary>
/// <remarks>
/// The formula is our own, not Polly's: Polly.Core keeps its backoff maths internal (<c>RetryHelper</c>) and ties it
/// to retry attempts. The un-jittered wait after the n-th consecutive empty poll is
/// <c>min(MaxDelay, MinDelay × Factor^(n−1))</c>, kept as a running value so it cannot overflow; the jittered wait is
/// <c>clamp(wait × (1 + Jitter × (2r − 1)), MinDelay, MaxDelay)</c> with r uniform in [0, 1).
/// </remarks>
internal sealed class ExponentialIdleBackoff : IPollingStrategy
{
    private readonly TimeSpan _minDelay;
    private readonly TimeSpan _maxDelay;
    private readonly double _factor;
    private readonly double _jitter;
    private readonly int _batchSize;
    private readonly Func<double> _random;

    // The un-jittered wait the next empty poll gets; reset to the minimum whenever a poll finds work.
    private TimeSpan _nextIdleDelay;

    /// <summary>Creates the strategy with <see cref="Random.Shared"/> as the jitter source.</summary>
    /// <param name="options">Validated settings (read once).</param>
    /// <param name="batchSize">The queue's <see cref="QueueOptions.BatchSize"/>: every poll asks for that many.</param>
    public ExponentialIdleBackoff(IdleBackoffPollingOptions options, int batchSize)
        : this(options, batchSize, static () => Random.Shared.NextDouble())
    {
    }

    /// <summary>Creates the strategy with an injected jitter source, so tests can pin the jitter bounds.</summary>
    /// <param name="options">Validated settings (read once).</param>
    /// <param name="batchSize">The queue's <see cref="QueueOptions.BatchSize"/>.</param>
    /// <param name="random">Returns a number in [0, 1); 0 gives the shortest wait, values near 1 the longest.</param>
    public ExponentialIdleBackoff(IdleBackoffPollingOptions options, int batchSize, Func<double> random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        _minDelay = options.MinDelay;
        _maxDelay = options.MaxDelay;
        _factor = options.Factor;
        _jitter = options.Jitter;
        _batchSize = Math.Max(1, batchSize);
        _random = random;
        _nextIdleDelay = _minDelay;
    }

    /// <summary>Polls at once at start, for jobs enqueued while the process was down.</summary>
    public PollDecision Initial => new(TimeSpan.Zero, _batchSize);

    public PollDecision Decide(in PollOutcome outcome)
    {
        if (outcome.Error is null && !outcome.Skipped && outcome.JobsFound > 0)
        {
            _nextIdleDelay = _minDelay;

            // A full batch means more is probably waiting: poll again at once.
            return outcome.JobsFound >= outcome.BatchSize
                ? new PollDecision(TimeSpan.Zero, _batchSize)
                : new PollDecision(Jittered(_minDelay), _batchSize);
        }

        // Empty, skipped and failed polls all back off: a failing store should not be hammered either.
        var delay = _nextIdleDelay;
        _nextIdleDelay = Grow(delay);
        return new PollDecision(Jittered(delay), _batchSize);
    }

    private TimeSpan Grow(TimeSpan delay)
    {
        var grown = delay.Ticks * _factor;
        return grown >= _maxDelay.Ticks ? _maxDelay : TimeSpan.FromTicks((long)grown);
    }

    private TimeSpan Jittered(TimeSpan delay)
    {
        if (_jitter == 0)
        {
            return delay;
        }

        var r = Math.Clamp(_random(), 0.0, 1.0);
        var ticks = (long)(delay.Ticks * (1.0 + (_jitter * ((2.0 * r) - 1.0))));
        return TimeSpan.FromTicks(Math.Clamp(ticks, _minDelay.Ticks, _maxDelay.Ticks));
    }
}
