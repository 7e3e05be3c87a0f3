namespace TaskRunner;

/// <summary>
/// The process-wide cap on running jobs, shared by all queues with weighted fairness. Each queue is guaranteed its share
/// of the limit (<c>limit · weight / Σ weights</c>, at least 1). A queue may take more than its share only while no other
/// queue is waiting for a slot, so a busy queue cannot starve another; a returned slot wakes the queues waiting for one.
/// </summary>
internal sealed class GlobalLimiter(int limit)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Share> _queues = new(StringComparer.Ordinal);
    private int _available = limit;
    private int _totalWeight;

    public int Limit { get; } = limit;

    public void Register(string queue, int weight, WakeSignal signal)
    {
        lock (_gate)
        {
            _queues[queue] = new Share(weight, signal);
            _totalWeight += weight;
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> slots for <paramref name="queue"/>; returns how many were taken.
    /// Taking none marks the queue as waiting.</summary>
    public int TryTake(string queue, int wanted)
    {
        lock (_gate)
        {
            var share = _queues[queue];
            var cap = _available;
            if (OthersWaiting(share))
            {
                cap = Math.Min(cap, Math.Max(0, GuaranteedShare(share) - share.Held));
            }

            var taken = Math.Min(wanted, cap);
            share.Held += taken;
            _available -= taken;
            share.Waiting = taken == 0 && wanted > 0;
            return taken;
        }
    }

    public void Return(string queue, int count)
    {
        if (count <= 0)
        {
            return;
        }

        List<WakeSignal>? wake = null;
        lock (_gate)
        {
            _queues[queue].Held -= count;
            _available += count;
            foreach (var share in _queues.Values)
            {
                if (share.Waiting)
                {
                    (wake ??= []).Add(share.Signal);
                }
            }
        }

        foreach (var signal in wake ?? [])
        {
            signal.Set();
        }
    }

    private bool OthersWaiting(Share self)
    {
        foreach (var share in _queues.Values)
        {
            if (share != self && share.Waiting)
            {
                return true;
            }
        }

        return false;
    }

    private int GuaranteedShare(Share share) => Math.Max(1, Limit * share.Weight / Math.Max(1, _totalWeight));

    private sealed class Share(int weight, WakeSignal signal)
    {
        public int Weight { get; } = weight;

        public WakeSignal Signal { get; } = signal;

        public int Held { get; set; }

        public bool Waiting { get; set; }
    }
}
