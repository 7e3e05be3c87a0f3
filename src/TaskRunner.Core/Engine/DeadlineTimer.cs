namespace TaskRunner;

/// <summary>
/// Timers armed for an absolute instant on a <see cref="TimeProvider"/>. A timer takes a relative due time, so arming one
/// for an instant means reading the clock first; a clock that moves between that read and the arm (another thread moving
/// a fake clock, or this thread preempted under load) would arm it that much late. These re-read the clock after arming
/// and re-arm from the new reading, so the timer fires when the clock reaches the instant, whenever the clock moved.
/// </summary>
internal static class DeadlineTimer
{
    /// <summary>A real clock always moves a little between two reads; System.Threading.Timer counts whole milliseconds, so
    /// a move below one after a re-arm changes nothing and ends the re-checks.</summary>
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(1);

    /// <summary>Arms a one-shot timer that runs <paramref name="callback"/> once the clock reaches <paramref name="deadline"/>,
    /// at once (on this thread) when it already has. The callback may run twice if the timer fires while the deadline
    /// is found passed here, so it must be idempotent (a <c>TrySetResult</c>).</summary>
    public static ITimer Start(TimeProvider time, DateTimeOffset deadline, TimerCallback callback, object? state)
    {
        var read = time.GetUtcNow();
        var timer = time.CreateTimer(callback, state, Remaining(deadline, read), Timeout.InfiniteTimeSpan);
        for (var rearmed = false; ; rearmed = true)
        {
            var now = time.GetUtcNow();
            if (now >= deadline)
            {
                timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                callback(state);
                return timer;
            }

            // Unmoved since the read the timer was armed from: that read was the arm's own "now", so the due time is exact.
            var moved = now - read;
            if (moved == TimeSpan.Zero || (rearmed && moved < Resolution))
            {
                return timer;
            }

            timer.Change(deadline - now, Timeout.InfiniteTimeSpan);
            read = now;
        }
    }

    /// <summary>Completes when the clock reaches <paramref name="deadline"/>; cancelled by <paramref name="cancellationToken"/>.</summary>
    public static async Task DelayUntilAsync(TimeProvider time, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var due = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = Start(time, deadline, static s => ((TaskCompletionSource)s!).TrySetResult(), due);
        await due.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static TimeSpan Remaining(DateTimeOffset deadline, DateTimeOffset now) =>
        deadline > now ? deadline - now : TimeSpan.Zero;
}
