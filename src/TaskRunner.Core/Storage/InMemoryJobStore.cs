namespace TaskRunner.Storage;

/// <summary>
/// The in-memory job store: a product feature for single-process hosts and tests of host code, not durable.
/// One lock guards everything; due jobs wait in a heap per queue ordered by (priority desc, run-at, id) and delayed
/// ones in a heap by run-at, so claim cost stays logarithmic in the number of queued jobs.
/// A job with a concurrency key enters its queue's heap only once it holds one of its key's slots (fewer than its limit
/// of the key's jobs are pending-with-a-slot or running); the others wait in the key's own heap, in claim order, and the
/// first of them takes the slot a job gives up. So a claim never steps over jobs held back by a busy key.
/// </summary>
internal sealed partial class InMemoryJobStore : IJobStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _jobs = [];
    private readonly Dictionary<string, PriorityQueue<Entry, DueOrder>> _due = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Entry, long> _delayed = new();
    private readonly HashSet<Entry> _running = [];
    private readonly Dictionary<string, Entry> _uniqueKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _idempotencyKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeySlots> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _runningByQueue = new(StringComparer.Ordinal);
    private readonly Dictionary<BatchId, Batch> _batches = [];
    private readonly List<Entry> _skipped = [];
    private readonly List<ClaimedJob> _claimed = [];
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
            if (!_batches.TryAdd(batch.Id, new Batch(batch.Continuation)))
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

    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0)
        {
            return new([]);
        }

        ClaimedJob[] claimed;
        var expires = request.Now + request.LeaseDuration;
        lock (_gate)
        {
            PromoteDue(request.Now);
            if (!_due.TryGetValue(request.Queue, out var heap))
            {
                return new([]);
            }

            var names = NameSet(request.JobNames);
            var maxCount = request.MaxCount;
            if (request.QueueLimit is { } queueLimit)
            {
                maxCount = Math.Min(maxCount, queueLimit - _runningByQueue.GetValueOrDefault(request.Queue));
            }

            while (_claimed.Count < maxCount && heap.TryDequeue(out var entry, out _))
            {
                if (entry.State != JobState.Pending || entry.InDueHeap == false)
                {
                    continue; // stale heap entry: cancelled or otherwise moved on since it was queued
                }

                if (names is not null && !names.Contains(entry.Name))
                {
                    _skipped.Add(entry); // another worker's job: left pending, in place
                    continue;
                }

                entry.InDueHeap = false;
                SetState(entry, JobState.Running);
                entry.Attempts++;
                entry.LeaseToken++;
                entry.Owner = request.Owner;
                entry.LeaseExpiresAt = expires;
                entry.MarkStarted(request.Now);
                entry.CancellationRequested = false;
                _running.Add(entry);
                _runningByQueue[entry.Queue] = _runningByQueue.GetValueOrDefault(entry.Queue) + 1;
                _claimed.Add(entry.ToClaimed());
            }

            foreach (var skipped in _skipped)
            {
                heap.Enqueue(skipped, skipped.DueOrder);
            }

            _skipped.Clear();

            // Collected in a reused buffer and copied out at the exact size: one allocation per claim, not a list and
            // its (mostly unused) backing array.
            claimed = _claimed.Count == 0 ? [] : [.. _claimed];
            _claimed.Clear();
        }

        return new(claimed);
    }

    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (leases, leaseExpiresAt, now) = (request.Leases, request.LeaseExpiresAt, request.Now);
        List<JobId>? lost = null;
        List<JobId>? cancel = null;
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                if (TryGetHeld(lease, now, out var entry))
                {
                    entry.LeaseExpiresAt = leaseExpiresAt;
                    if (entry.CancellationRequested)
                    {
                        (cancel ??= []).Add(lease.Id);
                    }
                }
                else
                {
                    (lost ??= []).Add(lease.Id);
                }
            }
        }

        return new(lost is null && cancel is null
            ? HeartbeatResult.AllHeld
            : new HeartbeatResult { Lost = lost ?? [], CancellationRequested = cancel ?? [] });
    }

    public ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (completions, now) = (request.Completions, request.Now);
        List<JobId>? rejected = null;
        lock (_gate)
        {
            // An index loop: foreach over the interface would box the list's enumerator on every call.
            for (var i = 0; i < completions.Count; i++)
            {
                var completion = completions[i];
                if (!TryGetHeld(new JobLease(completion.Id, completion.LeaseToken), now, out var entry))
                {
                    (rejected ??= []).Add(completion.Id);
                    continue;
                }

                Apply(entry, completion, now);
            }
        }

        return new(rejected is null ? [] : rejected);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        lock (_gate)
        {
            if (!TryGetHeld(request.Lease, request.Now, out var entry))
            {
                return new(false);
            }

            entry.ProgressPercent = request.Percent;
            entry.ProgressMessage = request.Message;
            return new(true);
        }
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        int requeued = 0, deadLettered = 0;
        lock (_gate)
        {
            List<Entry>? expired = null;
            foreach (var entry in _running)
            {
                if (entry.LeaseExpiresAt < now)
                {
                    (expired ??= []).Add(entry);
                    if (expired.Count >= maxCount)
                    {
                        break;
                    }
                }
            }

            foreach (var entry in expired ?? [])
            {
                var error = new JobError("LeaseExpired", $"The lease of worker '{entry.Owner}' expired at {entry.LeaseExpiresAt:O} before the job finished; the worker is presumed dead.");
                LeaveRunning(entry);
                entry.LastError = error;
                if (entry.Attempts >= entry.MaxAttempts)
                {
                    Finish(entry, JobState.DeadLettered, now);
                    deadLettered++;
                }
                else
                {
                    MakeDue(entry);
                    requeued++;
                }
            }
        }

        return new(new RecoveryResult(requeued, deadLettered));
    }

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
                    entry.InDueHeap = false;
                    entry.InDelayedHeap = false;
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
        if (!request.State.IsFinished())
        {
            throw new ArgumentException($"Only finished jobs can be purged; '{request.State}' is not a finished state.", nameof(request));
        }

        var purged = 0;
        lock (_gate)
        {
            List<Entry>? victims = null;
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
                _jobs.Remove(entry.Id);
                if (entry.IdempotencyKey is { } key)
                {
                    _idempotencyKeys.Remove(key);
                }

                if (entry.BatchId is { } batchId && _batches.TryGetValue(batchId, out var batch))
                {
                    batch.Counts[(int)entry.State]--;
                }

                purged++;
            }
        }

        return new(purged);
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
        var counts = new long[7];
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
            return new(_batches.TryGetValue(id, out var batch)
                ? new BatchStatus { Id = id, Counts = JobCounts.FromCountsByState(batch.Counts), ContinuationId = batch.ContinuationId }
                : null);
        }
    }

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Due jobs are pending by now (the claim would promote them just the same); what is left is in the future.
            PromoteDue(now);
            while (_delayed.TryPeek(out var entry, out var ticks))
            {
                if (entry.InDelayedHeap && entry.RunAt.UtcTicks == ticks)
                {
                    return new(entry.RunAt);
                }

                _delayed.Dequeue(); // stale: cancelled or rescheduled since it was queued
            }

            return new((DateTimeOffset?)null);
        }
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

        var entry = new Entry(++_nextId, job, now, batchId ?? job.BatchId) { ContinuationOf = continuationOf };
        _jobs.Add(entry.Id, entry);
        if (entry.IdempotencyKey is { } ik)
        {
            _idempotencyKeys.Add(ik, entry);
        }

        if (entry.UniqueKey is { } uk)
        {
            _uniqueKeys.Add(uk, entry);
        }

        if (entry.BatchId is { } b && _batches.TryGetValue(b, out var batch))
        {
            batch.Counts[(int)JobState.Scheduled]++; // corrected by MakeDue's SetState
        }

        entry.State = JobState.Scheduled;
        if (entry.RunAt <= now)
        {
            MakeDue(entry);
        }
        else
        {
            Delay(entry);
        }

        return new EnqueueResult(new JobId(entry.Id), Created: true);
    }

    private void Debounce(Entry entry, DateTimeOffset runAt, TimeSpan maxDelay, DateTimeOffset now)
    {
        var limit = entry.CreatedAt + maxDelay;
        var moved = runAt < limit ? runAt : limit;
        if (moved == entry.RunAt)
        {
            return;
        }

        // The old heap entries turn stale: the due heap checks InDueHeap, the delayed heap the run-at it was queued with.
        entry.InDueHeap = false;
        entry.InDelayedHeap = false;
        entry.RunAt = moved;
        if (moved <= now)
        {
            MakeDue(entry);
        }
        else
        {
            SetState(entry, JobState.Scheduled);
            Delay(entry);
        }
    }

    private void Apply(Entry entry, JobCompletion completion, DateTimeOffset now)
    {
        LeaveRunning(entry);
        switch (completion.Outcome)
        {
            case JobOutcome.Succeeded:
                entry.Result = completion.Result;
                Finish(entry, JobState.Succeeded, now);
                break;
            case JobOutcome.Failed:
                entry.LastError = completion.Error;
                entry.RunAt = completion.RetryAt ?? now;
                SetState(entry, JobState.Failed);
                Delay(entry);
                break;
            case JobOutcome.DeadLettered:
                entry.LastError = completion.Error;
                Finish(entry, JobState.DeadLettered, now);
                break;
            case JobOutcome.Cancelled:
                entry.LastError = completion.Error;
                Finish(entry, JobState.Cancelled, now);
                break;
            case JobOutcome.Released:
                entry.Attempts = Math.Max(0, entry.Attempts - 1);
                MakeDue(entry);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(completion), completion.Outcome, "Unknown job outcome.");
        }
    }

    private static IReadOnlySet<string>? NameSet(IReadOnlyCollection<string>? names) => names switch
    {
        null => null,
        IReadOnlySet<string> set => set,
        _ => new HashSet<string>(names, StringComparer.Ordinal),
    };

    // The contract's one rule (IJobStore remarks): held until the expiry has passed, the instant recovery may take it.
    private bool TryGetHeld(JobLease lease, DateTimeOffset now, out Entry entry) =>
        _jobs.TryGetValue(lease.Id.Value, out entry!)
        && entry.State == JobState.Running
        && entry.LeaseToken == lease.LeaseToken
        && entry.LeaseExpiresAt >= now;

    private void PromoteDue(DateTimeOffset now)
    {
        var nowTicks = now.UtcTicks;
        while (_delayed.TryPeek(out var entry, out var ticks) && ticks <= nowTicks)
        {
            _delayed.Dequeue();
            if (entry.InDelayedHeap && entry.RunAt.UtcTicks == ticks)
            {
                entry.InDelayedHeap = false;
                MakeDue(entry);
            }
        }
    }

    private void MakeDue(Entry entry)
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

        EnterDueHeap(entry);
    }

    private void EnterDueHeap(Entry entry)
    {
        entry.InDueHeap = true;
        if (!_due.TryGetValue(entry.Queue, out var heap))
        {
            heap = new PriorityQueue<Entry, DueOrder>();
            _due.Add(entry.Queue, heap);
        }

        heap.Enqueue(entry, entry.DueOrder);
    }

    private void Delay(Entry entry)
    {
        entry.InDelayedHeap = true;
        _delayed.Enqueue(entry, entry.RunAt.UtcTicks);
    }

    private void LeaveRunning(Entry entry)
    {
        _running.Remove(entry);
        _runningByQueue[entry.Queue]--;
    }

    /// <summary>Gives up <paramref name="entry"/>'s key slot; the first waiting jobs of the key, in claim order, take the
    /// freed room (one, when the key's jobs share a limit).</summary>
    private void ReleaseKeySlot(Entry entry)
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
            EnterDueHeap(next);
        }

        if (slots.Held == 0 && slots.Waiting.Count == 0)
        {
            _keys.Remove(entry.ConcurrencyKey!);
        }
    }

    private void Finish(Entry entry, JobState state, DateTimeOffset now)
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

    private void SetState(Entry entry, JobState state)
    {
        if (state is not (JobState.Pending or JobState.Running))
        {
            entry.WaitsForKey = false;
            if (entry.HoldsKeySlot)
            {
                ReleaseKeySlot(entry);
            }
        }

        if (entry.BatchId is { } batchId && _batches.TryGetValue(batchId, out var batch))
        {
            batch.Counts[(int)entry.State]--;
            batch.Counts[(int)state]++;
        }

        entry.State = state;
    }

    private void ReleaseContinuationIfDone(BatchId batchId, DateTimeOffset now)
    {
        if (!_batches.TryGetValue(batchId, out var batch) || batch.ContinuationReleased)
        {
            return;
        }

        var counts = batch.Counts;
        if (counts[(int)JobState.Scheduled] + counts[(int)JobState.Pending] + counts[(int)JobState.Running] + counts[(int)JobState.Failed] > 0)
        {
            return;
        }

        batch.ContinuationReleased = true;
        if (batch.Continuation is { } continuation)
        {
            batch.ContinuationId = Insert(continuation, now, continuationOf: batchId).Id;
        }
    }


    /// <summary>Heap order for due jobs: priority descending, then run-at, then id.</summary>
    private readonly record struct DueOrder(int NegatedPriority, long RunAtTicks, long Id) : IComparable<DueOrder>
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

    /// <summary>A concurrency key's slots: how many of its jobs hold one (pending in a queue heap, or running), and the
    /// pending ones waiting for one, in claim order.</summary>
    private sealed class KeySlots
    {
        public int Held { get; set; }

        public PriorityQueue<Entry, DueOrder> Waiting { get; } = new();
    }

    private sealed class Batch(NewJob? continuation)
    {
        public long[] Counts { get; } = new long[7];

        public NewJob? Continuation { get; } = continuation;

        public bool ContinuationReleased { get; set; }

        public JobId? ContinuationId { get; set; }
    }

    private sealed class Entry(long id, NewJob job, DateTimeOffset now, BatchId? batchId)
    {
        public long Id { get; } = id;

        public string Name { get; } = job.Name;

        public string Queue { get; } = job.Queue;

        public ReadOnlyMemory<byte> Payload { get; } = job.Payload;

        public int Priority { get; } = job.Priority;

        // Instants are kept as UTC ticks and durations as ticks (with a sentinel for "none"): a DateTimeOffset is 16 bytes
        // and a nullable one 24, and the store keeps one entry per job for as long as retention does.
        private const long None = long.MinValue;
        private readonly long _createdAt = now.UtcTicks;
        private readonly long _timeout = job.Timeout?.Ticks ?? None;
        private long _runAt = job.RunAt.UtcTicks; // kept as given: claim order uses it
        private long _leaseExpiresAt;
        private long _finishedAt = None;
        private long _firstStartedAt = None;
        private long _lastStartedAt = None;
        private readonly long _occurrenceAt = job.OccurrenceAt?.UtcTicks ?? None;
        private int _progressPercent = int.MinValue;
        private ReadOnlyMemory<byte> _result;
        private bool _hasResult;

        public DateTimeOffset RunAt
        {
            get => new(_runAt, TimeSpan.Zero);
            set => _runAt = value.UtcTicks;
        }

        public DateTimeOffset CreatedAt => new(_createdAt, TimeSpan.Zero);

        public int MaxAttempts { get; } = job.MaxAttempts;

        public TimeSpan? Timeout => _timeout == None ? null : TimeSpan.FromTicks(_timeout);

        public string? UniqueKey { get; set; } = job.UniqueKey;

        public string? IdempotencyKey { get; } = job.IdempotencyKey;

        public string? ConcurrencyKey { get; } = job.ConcurrencyKey;

        public int ConcurrencyLimit { get; } = job.ConcurrencyLimit;

        public bool HoldsKeySlot { get; set; }

        public bool WaitsForKey { get; set; }

        public IReadOnlyList<string> Tags { get; } = job.Tags;

        public BatchId? BatchId { get; } = batchId;

        public string? TraceParent { get; } = job.TraceParent;

        public JobState State { get; set; }

        public int Attempts { get; set; }

        public long LeaseToken { get; set; }

        public string? Owner { get; set; }

        public DateTimeOffset LeaseExpiresAt
        {
            get => new(_leaseExpiresAt, TimeSpan.Zero);
            set => _leaseExpiresAt = value.UtcTicks;
        }

        public bool CancellationRequested { get; set; }

        public int? ProgressPercent
        {
            get => _progressPercent == int.MinValue ? null : _progressPercent;
            set => _progressPercent = value ?? int.MinValue;
        }

        public string? ProgressMessage { get; set; }

        public ReadOnlyMemory<byte>? Result
        {
            get => _hasResult ? _result : (ReadOnlyMemory<byte>?)null; // a bare null would convert to an empty memory (via byte[])
            set
            {
                _hasResult = value.HasValue;
                _result = value.GetValueOrDefault();
            }
        }

        public JobError? LastError { get; set; }

        public DateTimeOffset? FinishedAt
        {
            get => _finishedAt == None ? null : new DateTimeOffset(_finishedAt, TimeSpan.Zero);
            set => _finishedAt = value?.UtcTicks ?? None;
        }

        public DateTimeOffset? FirstStartedAt => _firstStartedAt == None ? null : new DateTimeOffset(_firstStartedAt, TimeSpan.Zero);

        public DateTimeOffset? LastStartedAt => _lastStartedAt == None ? null : new DateTimeOffset(_lastStartedAt, TimeSpan.Zero);

        public DateTimeOffset? OccurrenceAt => _occurrenceAt == None ? null : new DateTimeOffset(_occurrenceAt, TimeSpan.Zero);

        public BatchId? ContinuationOf { get; init; }

        public bool InDueHeap { get; set; }

        public bool InDelayedHeap { get; set; }

        public DueOrder DueOrder => new(-Priority, _runAt, Id);

        public void MarkStarted(DateTimeOffset now)
        {
            _lastStartedAt = now.UtcTicks;
            if (_firstStartedAt == None)
            {
                _firstStartedAt = _lastStartedAt;
            }
        }

        public ClaimedJob ToClaimed() => new()
        {
            Id = new JobId(Id),
            Name = Name,
            Queue = Queue,
            Payload = Payload,
            Attempt = Attempts,
            MaxAttempts = MaxAttempts,
            Timeout = Timeout,
            LeaseToken = LeaseToken,
            LeaseExpiresAt = LeaseExpiresAt,
            RunAt = RunAt,
            CreatedAt = CreatedAt,
            ConcurrencyKey = ConcurrencyKey,
            Tags = Tags,
            BatchId = BatchId,
            OccurrenceAt = OccurrenceAt,
            ContinuationOf = ContinuationOf,
            TraceParent = TraceParent,
        };

        public JobRecord ToRecord() => new()
        {
            Id = new JobId(Id),
            Name = Name,
            Queue = Queue,
            Payload = Payload,
            State = State,
            Priority = Priority,
            RunAt = RunAt,
            CreatedAt = CreatedAt,
            Attempts = Attempts,
            MaxAttempts = MaxAttempts,
            Timeout = Timeout,
            UniqueKey = UniqueKey,
            IdempotencyKey = IdempotencyKey,
            ConcurrencyKey = ConcurrencyKey,
            ConcurrencyLimit = ConcurrencyLimit,
            Tags = Tags,
            BatchId = BatchId,
            Owner = Owner,
            LeaseToken = LeaseToken,
            LeaseExpiresAt = State == JobState.Running ? LeaseExpiresAt : null,
            CancellationRequested = CancellationRequested,
            ProgressPercent = ProgressPercent,
            ProgressMessage = ProgressMessage,
            Result = Result,
            LastError = LastError,
            FinishedAt = FinishedAt,
            FirstStartedAt = FirstStartedAt,
            LastStartedAt = LastStartedAt,
            OccurrenceAt = OccurrenceAt,
            ContinuationOf = ContinuationOf,
            TraceParent = TraceParent,
        };
    }
}
