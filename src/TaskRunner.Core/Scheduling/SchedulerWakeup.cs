namespace TaskRunner;

/// <summary>Wakes this process's scheduler early: a schedule changed here. A notification is never lost: one sent while
/// the scheduler is busy ends its next sleep at once.</summary>
internal sealed class SchedulerWakeup
{
    private TaskCompletionSource _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ends the scheduler's current or next sleep and makes it re-read the schedules.</summary>
    public void Notify() => Volatile.Read(ref _pending).TrySetResult();

    /// <summary>Completes when <see cref="Notify"/> was called since the last <see cref="Reset"/>.</summary>
    public Task WaitAsync() => Volatile.Read(ref _pending).Task;

    /// <summary>Consumes a notification; called right before the scheduler re-reads the stores, so any later one counts.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _pending);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _pending, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }
}
