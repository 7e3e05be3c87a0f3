namespace TaskRunner;

/// <summary>Settings of the polling strategy that follows the queue's backlog: the deeper the backlog, the shorter the
/// wait and the bigger the claim.</summary>
/// <remarks>
/// <para>The curve. Let d be the backlog the last poll reported (<see cref="PollOutcome.QueueDepth"/>) and
/// <c>fill = clamp(ln(1 + d) / ln(1 + DeepBacklog), 0, 1)</c> (logarithmic, so the first few waiting jobs already
/// matter). Then</para>
/// <list type="bullet">
/// <item><c>delay = MaxDelay × (MinDelay / MaxDelay)^fill</c> (geometric from <see cref="MaxDelay"/> at an empty queue
/// down to <see cref="MinDelay"/> at <see cref="DeepBacklog"/> or more);</item>
/// <item><c>batch = ceil(MinBatchSize + (MaxBatchSize − MinBatchSize) × fill)</c>.</item>
/// </list>
/// <para>With the defaults (50 ms – 5 s, batch 1 – 32, deep at 1000): d = 0 → 5 s × 1; d = 1 → ≈3.15 s × 5;
/// d = 10 → ≈1.0 s × 12; d = 100 → ≈230 ms × 22; d ≥ 1000 → 50 ms × 32.</para>
/// <para>When the depth is unknown (−1) the last poll stands in for it: <c>fill = JobsFound / BatchSize</c>, so a full
/// batch counts as a deep backlog. A failed or skipped poll counts as an empty queue (fill 0).</para>
/// <para>Attach it with <see cref="PollingQueueOptionsExtensions.UseAdaptivePolling"/>.</para>
/// </remarks>
public sealed class AdaptivePollingOptions
{
    /// <summary>The smallest allowed <see cref="MinDelay"/>.</summary>
    public static readonly TimeSpan LowestMinDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest allowed <see cref="MinDelay"/>.</summary>
    public static readonly TimeSpan HighestMinDelay = TimeSpan.FromHours(1);

    /// <summary>The largest allowed <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan HighestMaxDelay = TimeSpan.FromDays(1);

    private static readonly OptionRange<TimeSpan> MinDelayRange = new($"{nameof(AdaptivePollingOptions)}.{nameof(MinDelay)}", LowestMinDelay, HighestMinDelay);
    private static readonly OptionRange<TimeSpan> MaxDelayRange = new($"{nameof(AdaptivePollingOptions)}.{nameof(MaxDelay)}", TimeSpan.Zero, HighestMaxDelay);
    private static readonly OptionRange<int> MinBatchSizeRange = new($"{nameof(AdaptivePollingOptions)}.{nameof(MinBatchSize)}", 1, 1000);
    private static readonly OptionRange<int> MaxBatchSizeRange = new($"{nameof(AdaptivePollingOptions)}.{nameof(MaxBatchSize)}", 1, 1000);
    private static readonly OptionRange<long> DeepBacklogRange = new($"{nameof(AdaptivePollingOptions)}.{nameof(DeepBacklog)}", 1, 10_000_000);

    /// <summary>The wait when the backlog is at least <see cref="DeepBacklog"/>.</summary>
    /// <value>Defaults to 50 ms. Range 1 ms – 1 hour.</value>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The wait when the queue is empty.</summary>
    /// <value>Defaults to 5 seconds. Range <see cref="MinDelay"/> – 1 day.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The claim size when the queue is empty.</summary>
    /// <value>Defaults to 1. Range 1–1000.</value>
    public int MinBatchSize { get; set; } = 1;

    /// <summary>The claim size at a deep backlog; <see langword="null"/> for the queue's <see cref="QueueOptions.BatchSize"/>.
    /// Either way it is capped at the queue's batch size (and never below <see cref="MinBatchSize"/>).</summary>
    /// <value>Defaults to <see langword="null"/>. Range <see cref="MinBatchSize"/>–1000.</value>
    public int? MaxBatchSize { get; set; }

    /// <summary>The backlog at which polling reaches its shortest wait and biggest claim.</summary>
    /// <value>Defaults to 1000. Range 1 – 10,000,000.</value>
    public long DeepBacklog { get; set; } = 1000;

    /// <summary>Checks every setting against its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names the option, the value
    /// and the allowed range.</exception>
    public void Validate()
    {
        MinDelayRange.ThrowIfOutside(MinDelay);
        MaxDelayRange.WithMin(MinDelay).ThrowIfOutside(MaxDelay);
        MinBatchSizeRange.ThrowIfOutside(MinBatchSize);
        if (MaxBatchSize is { } maxBatchSize)
        {
            MaxBatchSizeRange.WithMin(MinBatchSize).ThrowIfOutside(maxBatchSize);
        }

        DeepBacklogRange.ThrowIfOutside(DeepBacklog);
    }
}
