namespace TaskRunner;

/// <summary>Polls every fixed interval with a fixed batch size, ignoring what the polls find.</summary>
internal sealed class FixedIntervalPolling : IPollingStrategy
{
    private readonly PollDecision _decision;

    /// <summary>Creates the strategy from validated options.</summary>
    /// <param name="options">Validated settings (read once).</param>
    /// <param name="queueBatchSize">The queue's <see cref="QueueOptions.BatchSize"/>: the default and the cap.</param>
    public FixedIntervalPolling(FixedIntervalPollingOptions options, int queueBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        var batchSize = Math.Max(1, Math.Min(options.BatchSize ?? queueBatchSize, queueBatchSize));
        _decision = new PollDecision(options.Interval, batchSize);
    }

    /// <summary>Polls at once at start: waiting a whole interval first would only delay jobs enqueued before start.</summary>
    public PollDecision Initial => _decision with { Delay = TimeSpan.Zero };

    public PollDecision Decide(in PollOutcome outcome) => _decision;
}
