namespace TaskRunner;

/// <summary>What the last poll of a queue found: the input to <see cref="IPollingStrategy.Decide"/>.</summary>
public readonly record struct PollOutcome
{
    /// <summary>When the poll finished.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>How many jobs the poll claimed.</summary>
    public required int JobsFound { get; init; }

    /// <summary>The batch size the poll asked for.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Jobs still waiting in the queue, when known (<c>-1</c> when not).</summary>
    public long QueueDepth { get; init; }

    /// <summary>The error the poll failed with, if it failed.</summary>
    public Exception? Error { get; init; }

    /// <summary>Whether the poll was skipped because the store reported no change since the last one.</summary>
    public bool Skipped { get; init; }
}
