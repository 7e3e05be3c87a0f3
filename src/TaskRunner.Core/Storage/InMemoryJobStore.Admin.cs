namespace TaskRunner.Storage;

/// <summary>Administration and queries: cancel, requeue, purge, delete, read, list, count, batches, the next due time.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(id.Value, out var entry))
            {
                return new(CancelResult.NotFound);
            }

            switch (entry.State)
            {
                case JobState.Running:
                    entry.CancellationRequested = true;
                    return new(CancelResult.CancellationRequested);
                case JobState.Scheduled or JobState.Pending or JobState.Failed:
                    InMemoryDueQueue.Remove(entry);
                    Finish(entry, JobState.Cancelled, now);
                    return new(CancelResult.Cancelled);
                default:
                    return new(CancelResult.AlreadyFinished);
            }
        }
    }

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(id.Value, out var entry) || entry.State is not (JobState.DeadLettered or JobState.Cancelled))
            {
                return new(false);
            }

            if (entry.UniqueKey is { } key && !_uniqueKeys.TryAdd(key, entry))
            {
                return new(false); // another active job holds the key now
            }

            entry.Attempts = 0;
            entry.FinishedAt = null;
            entry.RunAt = now;
            MakeDue(entry);
            return new(true);
        }
    }

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ThrowIfInvalid();

        var purged = 0;
        lock (_gate)
        {
            List<InMemoryJob>? victims = null;
            foreach (var entry in _jobs.Values)
            {
                if (entry.State == request.State && (request.FinishedBefore is not { } before || entry.FinishedAt < before))
                {
                    (victims ??= []).Add(entry);
                    if (victims.Count >= request.MaxCount)
                    {
                        break;
                    }
                }
            }

            foreach (var entry in victims ?? [])
            {
                RemoveFinished(entry);
                purged++;
            }
        }

        return new(purged);
    }

    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(id.Value, out var entry) || !entry.State.IsFinished())
            {
                return new(false);
            }

            RemoveFinished(entry);
            return new(true);
        }
    }

    /// <summary>Forgets a finished job: its record, its idempotency key and its place in its batch's counts. A finished
    /// job holds no unique key, key slot or due-queue entry, so nothing else refers to it. Called under the gate.</summary>
    private void RemoveFinished(InMemoryJob entry)
    {
        _jobs.Remove(entry.Id);
        if (entry.IdempotencyKey is { } key)
        {
            _idempotencyKeys.Remove(key);
        }

        _batches.Move(entry.BatchId, from: entry.State, to: null);
    }

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return new(_jobs.TryGetValue(id.Value, out var entry) ? entry.ToRecord() : null);
        }
    }

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default)
    {
        var counts = new long[(int)JobState.Cancelled + 1];
        lock (_gate)
        {
            foreach (var entry in _jobs.Values)
            {
                if (queue is null || entry.Queue == queue)
                {
                    counts[(int)entry.State]++;
                }
            }
        }

        return new(JobCounts.FromCountsByState(counts));
    }

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return new(_batches.GetStatus(id));
        }
    }

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Due jobs are pending by now (the claim would promote them just the same); what is left is in the future.
            PromoteDue(now);
            return new(_queue.NextRunAt());
        }
    }
}
