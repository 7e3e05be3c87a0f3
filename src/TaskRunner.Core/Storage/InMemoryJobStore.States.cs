namespace TaskRunner.Storage;

/// <summary>The state changes every area shares: a job becoming due (or waiting for its key's slot), leaving running,
/// finishing; and the bookkeeping that follows a state (key slots, batch counts, unique keys, continuations).</summary>
internal sealed partial class InMemoryJobStore
{
    private void MakeDue(InMemoryJob entry)
    {
        SetState(entry, JobState.Pending);

        // A keyed job coming back from running (released, recovered) keeps its slot; any other needs one.
        if (entry.ConcurrencyKey is { } key && !entry.HoldsKeySlot)
        {
            if (!_keys.TryGetValue(key, out var slots))
            {
                slots = new KeySlots();
                _keys.Add(key, slots);
            }

            if (slots.Held >= entry.ConcurrencyLimit)
            {
                entry.WaitsForKey = true;
                slots.Waiting.Enqueue(entry, entry.DueOrder);
                return;
            }

            slots.Held++;
            entry.HoldsKeySlot = true;
        }

        _queue.AddDue(entry);
    }

    private void LeaveRunning(InMemoryJob entry)
    {
        _running.Remove(entry);
        _runningByQueue[entry.Queue]--;
    }

    /// <summary>Gives up <paramref name="entry"/>'s key slot; the first waiting jobs of the key, in claim order, take the
    /// freed room (one, when the key's jobs share a limit).</summary>
    private void ReleaseKeySlot(InMemoryJob entry)
    {
        entry.HoldsKeySlot = false;
        var slots = _keys[entry.ConcurrencyKey!];
        slots.Held--;
        while (slots.Waiting.TryPeek(out var next, out _))
        {
            if (!next.WaitsForKey || next.State != JobState.Pending)
            {
                slots.Waiting.Dequeue(); // stale: cancelled since it began to wait
                continue;
            }

            if (slots.Held >= next.ConcurrencyLimit)
            {
                break;
            }

            slots.Waiting.Dequeue();
            next.WaitsForKey = false;
            next.HoldsKeySlot = true;
            slots.Held++;
            _queue.AddDue(next);
        }

        if (slots.Held == 0 && slots.Waiting.Count == 0)
        {
            _keys.Remove(entry.ConcurrencyKey!);
        }
    }

    private void Finish(InMemoryJob entry, JobState state, DateTimeOffset now)
    {
        SetState(entry, state);
        entry.FinishedAt = now;
        if (entry.UniqueKey is { } key && _uniqueKeys.TryGetValue(key, out var holder) && holder == entry)
        {
            _uniqueKeys.Remove(key);
        }

        if (entry.BatchId is { } batchId)
        {
            ReleaseContinuationIfDone(batchId, now);
        }
    }

    private void SetState(InMemoryJob entry, JobState state)
    {
        if (state is not (JobState.Pending or JobState.Running))
        {
            entry.WaitsForKey = false;
            if (entry.HoldsKeySlot)
            {
                ReleaseKeySlot(entry);
            }
        }

        _batches.Move(entry.BatchId, from: entry.State, to: state);
        entry.State = state;
    }

    private void ReleaseContinuationIfDone(BatchId batchId, DateTimeOffset now)
    {
        if (_batches.TryFinish(batchId, out var continuation) && continuation is not null)
        {
            _batches.SetContinuationId(batchId, Insert(continuation, now, continuationOf: batchId).Id);
        }
    }

    /// <summary>A concurrency key's slots: how many of its jobs hold one (pending in a queue heap, or running), and the
    /// pending ones waiting for one, in claim order.</summary>
    private sealed class KeySlots
    {
        public int Held { get; set; }

        public PriorityQueue<InMemoryJob, DueOrder> Waiting { get; } = new();
    }
}
