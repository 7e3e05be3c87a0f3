namespace TaskRunner;

/// <summary>
/// The delay before retry n: <c>base · 2^(n−1)</c> with ±20 % jitter, capped. Polly.Core's jittered exponential formula is
/// internal and needs the previous delay; we persist only the next run-at, and this form keeps consecutive delays strictly
/// growing (1.2 · 2^(n−1) &lt; 0.8 · 2^n) until the cap.
/// </summary>
internal sealed class RetryBackoff(TimeSpan baseDelay, TimeSpan maxDelay, Func<double>? random = null)
{
    /// <summary>The jitter as a fraction of the delay, either way.</summary>
    public const double Jitter = 0.2;

    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    /// <summary>The delay after failed attempt <paramref name="attempt"/> (from 1).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent) * (1 - Jitter + (2 * Jitter * _random()));
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }
}
