namespace TaskRunner;

/// <summary>Settings of the fixed-interval polling strategy: the queue is polled every <see cref="Interval"/>,
/// asking for <see cref="BatchSize"/> jobs, whatever the polls find.</summary>
/// <remarks>Attach it with <see cref="PollingQueueOptionsExtensions.UseFixedInterval"/>.</remarks>
public sealed class FixedIntervalPollingOptions
{
    /// <summary>The smallest allowed <see cref="Interval"/>.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest allowed <see cref="Interval"/>.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    private static readonly OptionRange<TimeSpan> IntervalRange = new($"{nameof(FixedIntervalPollingOptions)}.{nameof(Interval)}", MinInterval, MaxInterval);
    private static readonly OptionRange<int> BatchSizeRange = new($"{nameof(FixedIntervalPollingOptions)}.{nameof(BatchSize)}", 1, 1000);

    /// <summary>The wait between two polls.</summary>
    /// <value>Defaults to 1 second. Range 1 ms – 1 day.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many jobs each poll asks for; <see langword="null"/> for the queue's
    /// <see cref="QueueOptions.BatchSize"/>. A larger value is capped at the queue's batch size.</summary>
    /// <value>Defaults to <see langword="null"/>. Range 1–1000.</value>
    public int? BatchSize { get; set; }

    /// <summary>Checks every setting against its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names the option, the value
    /// and the allowed range.</exception>
    public void Validate()
    {
        IntervalRange.ThrowIfOutside(Interval);
        if (BatchSize is { } batchSize)
        {
            BatchSizeRange.ThrowIfOutside(batchSize);
        }
    }
}
