using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Support;

/// <summary>
/// A fake clock that, once told to, moves forward inside the next <see cref="CreateTimer"/> call, before the timer is
/// armed: what a clock moved by another thread (or a thread preempted under load) does between code's read of the time
/// and its arming of a timer. Code that arms "due - now" from a read made before the call arms that much late.
/// </summary>
internal sealed class ClockMovingOnArm(FakeTimeProvider inner) : TimeProvider
{
    private long _stepTicks;

    public FakeTimeProvider Inner => inner;

    /// <summary>The next timer armed on this clock is armed only after the clock has moved by <paramref name="step"/>.</summary>
    public void MoveOnNextArm(TimeSpan step) => Volatile.Write(ref _stepTicks, step.Ticks);

    /// <summary>Whether the move asked for has happened.</summary>
    public bool Moved => Volatile.Read(ref _stepTicks) == 0;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var step = Interlocked.Exchange(ref _stepTicks, 0);
        if (step > 0)
        {
            inner.Advance(TimeSpan.FromTicks(step));
        }

        return inner.CreateTimer(callback, state, dueTime, period);
    }
}
