namespace TaskRunner.Tests.Polling;

/// <summary>Builds poll outcomes from one-letter codes so decision sequences read as a table.</summary>
internal static class PollingTestOutcomes
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// E = empty poll, W = found work without filling the batch, F = full batch, X = failed, S = skipped (no change).
    /// </summary>
    public static PollOutcome From(char code, int batchSize = 10, long queueDepth = -1, DateTimeOffset? now = null) => code switch
    {
        'E' => new PollOutcome { Now = now ?? Epoch, JobsFound = 0, BatchSize = batchSize, QueueDepth = queueDepth },
        'W' => new PollOutcome { Now = now ?? Epoch, JobsFound = Math.Max(1, batchSize / 2), BatchSize = batchSize, QueueDepth = queueDepth },
        'F' => new PollOutcome { Now = now ?? Epoch, JobsFound = batchSize, BatchSize = batchSize, QueueDepth = queueDepth },
        'X' => new PollOutcome { Now = now ?? Epoch, JobsFound = 0, BatchSize = batchSize, QueueDepth = queueDepth, Error = new InvalidOperationException("store down") },
        'S' => new PollOutcome { Now = now ?? Epoch, JobsFound = 0, BatchSize = batchSize, QueueDepth = queueDepth, Skipped = true },
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unknown outcome code"),
    };

    public static int[] Millis(string csv) =>
        csv.Split(',', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
}
