using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>Waits armed for a due time end when the clock reaches it, even when the clock moved between the waiter's read
/// of the time and the arming of its timer (the race that once made delayed-job tests wait for the waker to sleep).</summary>
public sealed class DeadlineWakeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_due_time_waker_wakes_the_pollers_at_the_due_time_though_the_clock_moved_while_it_armed_its_timer()
    {
        var clock = new ClockMovingOnArm(new FakeTimeProvider(T0));
        var store = new InMemoryJobStore();
        var due = T0.AddSeconds(10);
        await store.EnqueueAsync([new NewJob { Name = "work", RunAt = due, MaxAttempts = 1 }], T0);
        // No store check before the due time: only the timer armed for it can wake the pollers then.
        var waker = new DueTimeWaker(store, new LocalSignals(clock), clock, Options.Create(new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMinutes(5) }));
        var woke = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        waker.WokePollers += at => woke.TrySetResult(at);

        // The waker reads T0, then its timer is armed at T0 + 4 s: armed for "10 s from now", it would wake at T0 + 14 s.
        clock.MoveOnNextArm(TimeSpan.FromSeconds(4));
        using var stop = new CancellationTokenSource();
        var loop = waker.RunAsync(stop.Token);
        Assert.True(SpinWait.SpinUntil(() => waker.Sleep.IsSleeping, Patience), "the due-time waker should sleep");
        Assert.True(clock.Moved);
        Assert.False(woke.Task.IsCompleted);

        clock.Inner.SetUtcNow(due);

        Assert.Equal(due, await woke.Task.WaitAsync(Patience));
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_timed_wait_on_a_wake_signal_ends_at_its_deadline_though_the_clock_moved_before_its_timer_was_armed()
    {
        var clock = new ClockMovingOnArm(new FakeTimeProvider(T0));
        var signal = new WakeSignal(clock);

        clock.MoveOnNextArm(TimeSpan.FromSeconds(2));
        var wait = signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).AsTask();
        Assert.True(clock.Moved);
        Assert.Equal(T0.AddSeconds(5), signal.WakeAt); // the deadline counts from the call, not from the arm
        Assert.False(wait.IsCompleted);

        clock.Inner.SetUtcNow(T0.AddSeconds(5));

        Assert.False(await wait.WaitAsync(Patience)); // timed out, not set
    }

    [Fact]
    public async Task A_wait_for_a_deadline_the_clock_passed_before_its_timer_was_armed_ends_at_once()
    {
        var clock = new ClockMovingOnArm(new FakeTimeProvider(T0));
        var signal = new WakeSignal(clock);

        clock.MoveOnNextArm(TimeSpan.FromSeconds(10));
        var wait = signal.WaitUntilAsync(T0.AddSeconds(3), CancellationToken.None).AsTask();

        Assert.False(await wait.WaitAsync(Patience));
        Assert.False(signal.IsSleeping);
    }

    [Fact]
    public async Task A_deadline_wait_still_ends_early_when_the_signal_is_set()
    {
        var clock = new ClockMovingOnArm(new FakeTimeProvider(T0));
        var signal = new WakeSignal(clock);
        var wait = signal.WaitUntilAsync(T0.AddHours(1), CancellationToken.None).AsTask();
        Assert.True(SpinWait.SpinUntil(() => signal.IsSleeping, Patience), "the wait should sleep");
        Assert.Equal(T0.AddHours(1), signal.WakeAt);

        signal.Set();

        Assert.True(await wait.WaitAsync(Patience));
        Assert.Equal(T0, clock.GetUtcNow());
    }
}
