namespace TaskRunner.Storage;

/// <summary>
/// The in-memory job store: a product feature for single-process hosts and tests of host code, not durable.
/// One lock guards everything; waiting jobs are in an <see cref="InMemoryDueQueue"/> (a heap per queue in claim order,
/// and one by run-at for delayed ones), so claim cost stays logarithmic in the number of queued jobs; batches are
/// tracked by <see cref="InMemoryBatches"/>.
/// A job with a concurrency key enters its queue's heap only once it holds one of its key's slots (fewer than its limit
/// of the key's jobs are pending-with-a-slot or running); the others wait in the key's own heap, in claim order, and the
/// first of them takes the slot a job gives up. So a claim never steps over jobs held back by a busy key.
/// </summary>
/// <remarks>Split by area into partial files: enqueue (here), claim, leases and completion, administration, and the
/// state changes every area shares.</remarks>
internal sealed partial class InMemoryJobStore : IJobStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, InMemoryJob> _jobs = [];
    private readonly InMemoryDueQueue _queue = new();
    private readonly HashSet<InMemoryJob> _running = [];
    private readonly Dictionary<string, InMemoryJob> _uniqueKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InMemoryJob> _idempotencyKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeySlots> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _runningByQueue = new(StringComparer.Ordinal);
    private readonly InMemoryBatches _batches = new();
    private long _nextId;

    public JobStoreCapabilities Capabilities => JobStoreCapabilities.None;

    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var results = new EnqueueResult[jobs.Count];
        lock (_gate)
        {
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = Insert(jobs[i], now);
            }
        }

        return new(results);
    }

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new EnqueueResult[batch.Jobs.Count];
        lock (_gate)
        {
            if (!_batches.TryAdd(batch.Id, batch.Continuation))
            {
                throw new ArgumentException($"Batch '{batch.Id}' already exists.", nameof(batch));
            }

            for (var i = 0; i < results.Length; i++)
            {
                results[i] = Insert(batch.Jobs[i], now, batch.Id);
            }

            // An empty batch is finished at once.
            ReleaseContinuationIfDone(batch.Id, now);
        }

        return new(results);
    }

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The in-memory job store does not track a change version; it lives in one process, whose enqueues wake its pollers directly.");

    private EnqueueResult Insert(NewJob job, DateTimeOffset now, BatchId? batchId = null, BatchId? continuationOf = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.IdempotencyKey is { } idempotencyKey && _idempotencyKeys.TryGetValue(idempotencyKey, out var sameOccurrence))
        {
            return new EnqueueResult(new JobId(sameOccurrence.Id), Created: false);
        }

        if (job.UniqueKey is { } uniqueKey && _uniqueKeys.TryGetValue(uniqueKey, out var active))
        {
            if (job.DebounceMaxDelay is not { } maxDelay || active.State == JobState.Failed)
            {
                return new EnqueueResult(new JobId(active.Id), Created: false);
            }

            if (active.State != JobState.Running)
            {
                Debounce(active, job.RunAt, maxDelay, now);
                return new EnqueueResult(new JobId(active.Id), Created: false);
            }

            // A running job gives up its key: the new one is queued behind it, so a change made meanwhile is seen again.
            _uniqueKeys.Remove(uniqueKey);
            active.UniqueKey = null;
        }

        var entry = new InMemoryJob(++_nextId, job, now, batchId ?? job.BatchId) { ContinuationOf = continuationOf };
        _jobs.Add(entry.Id, entry);
        if (entry.IdempotencyKey is { } ik)
        {
            _idempotencyKeys.Add(ik, entry);
        }

        if (entry.UniqueKey is { } uk)
        {
            _uniqueKeys.Add(uk, entry);
        }

        _batches.Move(entry.BatchId, from: null, to: JobState.Scheduled); // corrected by MakeDue's SetState
        entry.State = JobState.Scheduled;
        if (entry.RunAt <= now)
        {
            MakeDue(entry);
        }
        else
        {
            _queue.AddDelayed(entry);
        }

        return new EnqueueResult(new JobId(entry.Id), Created: true);
    }

    private void Debounce(InMemoryJob entry, DateTimeOffset runAt, TimeSpan maxDelay, DateTimeOffset now)
    {
        var limit = entry.CreatedAt + maxDelay;
        var moved = runAt < limit ? runAt : limit;
        if (moved == entry.RunAt)
        {
            return;
        }

        // The old heap entries turn stale: the due heap checks InDueHeap, the delayed heap the run-at it was queued with.
        InMemoryDueQueue.Remove(entry);
        entry.RunAt = moved;
        if (moved <= now)
        {
            MakeDue(entry);
        }
        else
        {
            SetState(entry, JobState.Scheduled);
            _queue.AddDelayed(entry);
        }
    }
}
