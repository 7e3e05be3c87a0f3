namespace TaskRunner.Storage;

/// <summary>
/// The in-memory store's waiting jobs: per queue, the due ones in claim order (priority descending, then run-at, then
/// id); and the delayed ones (scheduled, or failed until their retry) by run-at. Removal is lazy: a job leaves by its
/// flags (<see cref="InMemoryJob.InDueHeap"/>, <see cref="InMemoryJob.InDelayedHeap"/>) and its stale heap entries are
/// dropped when they come up, so every operation stays logarithmic in the number of waiting jobs. Not thread-safe: the
/// store calls it under its lock.
/// </summary>
internal sealed class InMemoryDueQueue
{
    private readonly Dictionary<string, PriorityQueue<InMemoryJob, DueOrder>> _due = new(StringComparer.Ordinal);
    private readonly PriorityQueue<InMemoryJob, long> _delayed = new();
    private readonly List<InMemoryJob> _skipped = [];

    /// <summary>Queues a pending job in its queue, in claim order.</summary>
    public void AddDue(InMemoryJob job)
    {
        job.InDueHeap = true;
        if (!_due.TryGetValue(job.Queue, out var heap))
        {
            heap = new PriorityQueue<InMemoryJob, DueOrder>();
            _due.Add(job.Queue, heap);
        }

        heap.Enqueue(job, job.DueOrder);
    }

    /// <summary>Queues a job until its run-at.</summary>
    public void AddDelayed(InMemoryJob job)
    {
        job.InDelayedHeap = true;
        _delayed.Enqueue(job, job.RunAt.UtcTicks);
    }

    /// <summary>Takes a job out of the queue (its heap entries turn stale).</summary>
    public static void Remove(InMemoryJob job)
    {
        job.InDueHeap = false;
        job.InDelayedHeap = false;
    }

    /// <summary>Takes the next delayed job whose run-at is at or before <paramref name="now"/>, in run-at order.</summary>
    public bool TryTakeDelayed(DateTimeOffset now, out InMemoryJob job)
    {
        var nowTicks = now.UtcTicks;
        while (_delayed.TryPeek(out job!, out var ticks) && ticks <= nowTicks)
        {
            _delayed.Dequeue();
            if (job.InDelayedHeap && job.RunAt.UtcTicks == ticks)
            {
                job.InDelayedHeap = false;
                return true;
            }
        }

        job = null!;
        return false;
    }

    /// <summary>The earliest run-at of a delayed job, or null when none waits.</summary>
    public DateTimeOffset? NextRunAt()
    {
        while (_delayed.TryPeek(out var job, out var ticks))
        {
            if (job.InDelayedHeap && job.RunAt.UtcTicks == ticks)
            {
                return job.RunAt;
            }

            _delayed.Dequeue(); // stale: cancelled or rescheduled since it was queued
        }

        return null;
    }

    /// <summary>Takes up to <paramref name="maxCount"/> due jobs of <paramref name="queue"/> in claim order into
    /// <paramref name="taken"/>; with <paramref name="names"/>, only jobs of those names, the others staying queued in place.</summary>
    public void TakeDue(string queue, int maxCount, IReadOnlySet<string>? names, List<InMemoryJob> taken)
    {
        if (!_due.TryGetValue(queue, out var heap))
        {
            return;
        }

        while (taken.Count < maxCount && heap.TryDequeue(out var job, out _))
        {
            if (job.State != JobState.Pending || !job.InDueHeap)
            {
                continue; // stale heap entry: cancelled or otherwise moved on since it was queued
            }

            if (names is not null && !names.Contains(job.Name))
            {
                _skipped.Add(job); // another worker's job: left pending, in place
                continue;
            }

            job.InDueHeap = false;
            taken.Add(job);
        }

        foreach (var skipped in _skipped)
        {
            heap.Enqueue(skipped, skipped.DueOrder);
        }

        _skipped.Clear();
    }
}

/// <summary>Claim order of due jobs: priority descending, then run-at, then id.</summary>
internal readonly record struct DueOrder(int NegatedPriority, long RunAtTicks, long Id) : IComparable<DueOrder>
{
    public int CompareTo(DueOrder other)
    {
        var c = NegatedPriority.CompareTo(other.NegatedPriority);
        if (c != 0)
        {
            return c;
        }

        c = RunAtTicks.CompareTo(other.RunAtTicks);
        return c != 0 ? c : Id.CompareTo(other.Id);
    }
}
