using System.Runtime.CompilerServices;

namespace TaskRunner;

/// <summary>The one rule for a job's progress, shared by the engine and every <see cref="IJobStore"/>: a whole
/// percentage from <see cref="MinPercent"/> to <see cref="MaxPercent"/>.</summary>
public static class JobProgress
{
    /// <summary>The lowest progress a job can report.</summary>
    public const int MinPercent = 0;

    /// <summary>The highest progress a job can report.</summary>
    public const int MaxPercent = 100;

    /// <summary>Throws when <paramref name="percent"/> is outside <see cref="MinPercent"/> to <see cref="MaxPercent"/>.</summary>
    /// <param name="percent">The reported progress.</param>
    /// <param name="paramName">The caller's parameter name; filled in by the compiler.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percent"/> is out of range; the message names the value and the range.</exception>
    public static void ThrowIfOutOfRange(int percent, [CallerArgumentExpression(nameof(percent))] string? paramName = null)
    {
        if (percent is < MinPercent or > MaxPercent)
        {
            throw new ArgumentOutOfRangeException(paramName, percent, $"Progress is {percent} %; allowed range is {MinPercent} to {MaxPercent}.");
        }
    }
}
