namespace TaskRunner;

/// <summary>Settings of the default polling strategy: exponential backoff while the queue is idle.</summary>
/// <remarks>
/// <para>Each poll that finds nothing (or fails, or is skipped because the store saw no change) multiplies the wait
/// by <see cref="Factor"/>, from <see cref="MinDelay"/> up to <see cref="MaxDelay"/>. A poll that finds work resets
/// the wait to <see cref="MinDelay"/>; a poll that comes back with a full batch polls again at once (no wait).</para>
/// <para>Each non-zero wait is jittered by up to ±<see cref="Jitter"/> of itself and then kept within
/// [<see cref="MinDelay"/>, <see cref="MaxDelay"/>], so the cap is never exceeded and many nodes do not poll in step.</para>
/// <para>With the defaults (200 ms → 30 s, ×2, ±10 %) an idle queue polls at most 140 times in its first hour
/// (counting the poll at start) whatever the random draws, and 127 times with no jitter: about 120 an hour after
/// that.</para>
/// <para>Attach it with <see cref="PollingQueueOptionsExtensions.UseIdleBackoff"/>; it is also what a queue uses when
/// <see cref="QueueOptions.PollingStrategyFactory"/> is <see langword="null"/>.</para>
/// </remarks>
public sealed class IdleBackoffPollingOptions
{
    /// <summary>The smallest allowed <see cref="MinDelay"/>.</summary>
    public static readonly TimeSpan LowestMinDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest allowed <see cref="MinDelay"/>.</summary>
    public static readonly TimeSpan HighestMinDelay = TimeSpan.FromHours(1);

    /// <summary>The largest allowed <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan HighestMaxDelay = TimeSpan.FromDays(1);

    private static readonly OptionRange<TimeSpan> MinDelayRange = new($"{nameof(IdleBackoffPollingOptions)}.{nameof(MinDelay)}", LowestMinDelay, HighestMinDelay);
    private static readonly OptionRange<TimeSpan> MaxDelayRange = new($"{nameof(IdleBackoffPollingOptions)}.{nameof(MaxDelay)}", TimeSpan.Zero, HighestMaxDelay);
    private static readonly OptionRange<double> FactorRange = new($"{nameof(IdleBackoffPollingOptions)}.{nameof(Factor)}", 1.0, 10.0);
    private static readonly OptionRange<double> JitterRange = new($"{nameof(IdleBackoffPollingOptions)}.{nameof(Jitter)}", 0.0, 1.0);

    /// <summary>The wait after a poll that found work (without filling its batch) and after the first empty poll.</summary>
    /// <value>Defaults to 200 ms. Range 1 ms – 1 hour.</value>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The cap on the wait, however long the queue stays idle (jitter never exceeds it).</summary>
    /// <value>Defaults to 30 seconds. Range <see cref="MinDelay"/> – 1 day.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What the wait is multiplied by after each further empty or failed poll.</summary>
    /// <value>Defaults to 2. Range 1–10 (1 keeps the wait at <see cref="MinDelay"/>).</value>
    public double Factor { get; set; } = 2.0;

    /// <summary>The jitter, as a fraction of the wait: each wait is drawn uniformly from
    /// [wait × (1 − Jitter), wait × (1 + Jitter)], then kept within [<see cref="MinDelay"/>, <see cref="MaxDelay"/>].</summary>
    /// <value>Defaults to 0.1 (±10 %). Range 0–1 (0 turns jitter off).</value>
    public double Jitter { get; set; } = 0.1;

    /// <summary>Checks every setting against its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names the option, the value
    /// and the allowed range.</exception>
    public void Validate()
    {
        MinDelayRange.ThrowIfOutside(MinDelay);
        MaxDelayRange.WithMin(MinDelay).ThrowIfOutside(MaxDelay);
        FactorRange.ThrowIfOutside(Factor);
        JitterRange.ThrowIfOutside(Jitter);
    }
}
