namespace TaskRunner;

/// <summary>Follows the queue's backlog: deep → short wait and big claim, empty → long wait and small claim
/// (the curve is documented on <see cref="AdaptivePollingOptions"/>).</summary>
internal sealed class QueueDepthAdaptivePolling : IPollingStrategy
{
    private readonly double _minDelayTicks;
    private readonly double _maxDelayTicks;
    private readonly int _minBatchSize;
    private readonly int _maxBatchSize;
    private readonly double _logDeepBacklog;

    /// <summary>Creates the strategy from validated options.</summary>
    /// <param name="options">Validated settings (read once).</param>
    /// <param name="queueBatchSize">The queue's <see cref="QueueOptions.BatchSize"/>: the default and cap of the claim.</param>
    public QueueDepthAdaptivePolling(AdaptivePollingOptions options, int queueBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        _minDelayTicks = options.MinDelay.Ticks;
        _maxDelayTicks = options.MaxDelay.Ticks;
        _maxBatchSize = Math.Max(1, Math.Min(options.MaxBatchSize ?? queueBatchSize, queueBatchSize));
        _minBatchSize = Math.Min(options.MinBatchSize, _maxBatchSize);
        _logDeepBacklog = Math.Log(1.0 + options.DeepBacklog);
    }

    /// <summary>Polls at once with the biggest claim: the backlog left from before start is unknown.</summary>
    public PollDecision Initial => new(TimeSpan.Zero, _maxBatchSize);

    public PollDecision Decide(in PollOutcome outcome) => Decision(Fill(outcome));

    /// <summary>The decision at a given point of the curve (0 = empty queue, 1 = deep backlog).</summary>
    internal PollDecision Decision(double fill)
    {
        var delayTicks = _maxDelayTicks * Math.Pow(_minDelayTicks / _maxDelayTicks, fill);
        var batch = (int)Math.Ceiling(_minBatchSize + ((_maxBatchSize - _minBatchSize) * fill));
        return new PollDecision(
            TimeSpan.FromTicks((long)Math.Round(delayTicks)),
            Math.Clamp(batch, _minBatchSize, _maxBatchSize));
    }

    private double Fill(in PollOutcome outcome)
    {
        if (outcome.Error is not null || outcome.Skipped)
        {
            return 0;
        }

        if (outcome.QueueDepth < 0)
        {
            // Unknown depth: how full the last claim came back is the best guess of what is waiting.
            return outcome.BatchSize <= 0 ? 0 : Math.Clamp((double)outcome.JobsFound / outcome.BatchSize, 0, 1);
        }

        return Math.Clamp(Math.Log(1.0 + outcome.QueueDepth) / _logDeepBacklog, 0, 1);
    }
}
