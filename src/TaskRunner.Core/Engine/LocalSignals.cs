namespace TaskRunner;

/// <summary>In-process notifications between the client and the runner: a local enqueue wakes its queue's poller at
/// once, and finished jobs wake anyone awaiting a batch.</summary>
internal sealed class LocalSignals(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WakeSignal> _queues = new(StringComparer.Ordinal);
    private TaskCompletionSource _finished = NewFinished();

    /// <summary>The wake signal of <paramref name="queue"/>, created on first use.</summary>
    public WakeSignal For(string queue)
    {
        lock (_gate)
        {
            if (!_queues.TryGetValue(queue, out var signal))
            {
                signal = new WakeSignal(timeProvider);
                _queues.Add(queue, signal);
            }

            return signal;
        }
    }

    /// <summary>Wakes the poller of <paramref name="queue"/>, if this process serves it.</summary>
    public void Wake(string queue)
    {
        WakeSignal? signal;
        lock (_gate)
        {
            _queues.TryGetValue(queue, out signal);
        }

        signal?.Set();
    }

    /// <summary>Wakes every local poller.</summary>
    public void WakeAll()
    {
        WakeSignal[] signals;
        lock (_gate)
        {
            signals = [.. _queues.Values];
        }

        foreach (var signal in signals)
        {
            signal.Set();
        }
    }

    /// <summary>Completes when the next batch of job outcomes has been written.</summary>
    public Task JobsFinished
    {
        get
        {
            lock (_gate)
            {
                return _finished.Task;
            }
        }
    }

    public void NotifyJobsFinished()
    {
        TaskCompletionSource finished;
        lock (_gate)
        {
            finished = _finished;
            _finished = NewFinished();
        }

        finished.TrySetResult();
    }

    private static TaskCompletionSource NewFinished() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
