namespace TaskRunner.Tests.Support;

/// <summary>Counts calls and lets a test await a count. Counting and checking the waiters happen under one lock, so a
/// waiter registered while a call is counted is never missed (it would otherwise wait for a call that never comes).</summary>
internal sealed class CallCounter
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Increment()
    {
        List<TaskCompletionSource>? reached = null;
        lock (_gate)
        {
            Volatile.Write(ref _count, _count + 1);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_count >= _waiters[i].Count)
                {
                    (reached ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var signal in reached ?? [])
        {
            signal.TrySetResult();
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> calls have been counted (bounded: 30 s).</summary>
    public Task WaitFor(int count)
    {
        lock (_gate)
        {
            if (_count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
