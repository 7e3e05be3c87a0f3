namespace TaskRunner;

/// <summary>The process-wide cap on running jobs shared by all queues. Pollers take slots before claiming and return
/// the ones they did not use; a returned slot wakes the pollers that are waiting for one.</summary>
internal sealed class GlobalLimiter(int limit)
{
    private readonly List<WakeSignal> _waiters = [];
    private int _available = limit;

    public int Limit { get; } = limit;

    public void Subscribe(WakeSignal signal)
    {
        lock (_waiters)
        {
            _waiters.Add(signal);
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> slots; returns how many were taken.</summary>
    public int TryTake(int wanted)
    {
        while (true)
        {
            var available = Volatile.Read(ref _available);
            var taken = Math.Min(available, wanted);
            if (taken <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _available, available - taken, available) == available)
            {
                return taken;
            }
        }
    }

    public void Return(int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (Interlocked.Add(ref _available, count) == count)
        {
            // From none to some: wake whoever waits for a slot.
            lock (_waiters)
            {
                foreach (var waiter in _waiters)
                {
                    waiter.Set();
                }
            }
        }
    }
}
