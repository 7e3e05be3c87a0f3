namespace TaskRunner.Storage;

/// <summary>
/// The in-memory store's batches: each batch's job counts by state, kept current as its jobs move, and its continuation,
/// handed out exactly once, when no job of the batch is left unfinished. Not thread-safe: the store calls it under its
/// lock.
/// </summary>
internal sealed class InMemoryBatches
{
    private readonly Dictionary<BatchId, Batch> _batches = [];

    /// <summary>Starts tracking a batch.</summary>
    /// <returns>False when a batch with this id exists.</returns>
    public bool TryAdd(BatchId id, NewJob? continuation) => _batches.TryAdd(id, new Batch(continuation));

    /// <summary>Counts a job of <paramref name="batchId"/> (if it is a tracked batch) as moved from one state to another;
    /// no <paramref name="from"/> for a new job, no <paramref name="to"/> for a purged one.</summary>
    public void Move(BatchId? batchId, JobState? from, JobState? to)
    {
        if (batchId is not { } id || !_batches.TryGetValue(id, out var batch))
        {
            return;
        }

        if (from is { } before)
        {
            batch.Counts[(int)before]--;
        }

        if (to is { } after)
        {
            batch.Counts[(int)after]++;
        }
    }

    /// <summary>Marks the batch finished if no job of it is unfinished and it was not finished before.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="continuation">The job to enqueue now, if the batch has one.</param>
    /// <returns>Whether the batch finished just now (at most once per batch).</returns>
    public bool TryFinish(BatchId batchId, out NewJob? continuation)
    {
        continuation = null;
        if (!_batches.TryGetValue(batchId, out var batch) || batch.Finished)
        {
            return false;
        }

        var counts = batch.Counts;
        if (counts[(int)JobState.Scheduled] + counts[(int)JobState.Pending] + counts[(int)JobState.Running] + counts[(int)JobState.Failed] > 0)
        {
            return false;
        }

        batch.Finished = true;
        continuation = batch.Continuation;
        return true;
    }

    /// <summary>Records the id of the continuation enqueued for a finished batch.</summary>
    public void SetContinuationId(BatchId batchId, JobId continuationId) => _batches[batchId].ContinuationId = continuationId;

    /// <summary>The batch's counts and continuation, or null for an unknown batch.</summary>
    public BatchStatus? GetStatus(BatchId id) =>
        _batches.TryGetValue(id, out var batch)
            ? new BatchStatus { Id = id, Counts = JobCounts.FromCountsByState(batch.Counts), ContinuationId = batch.ContinuationId }
            : null;

    private sealed class Batch(NewJob? continuation)
    {
        public long[] Counts { get; } = new long[(int)JobState.Cancelled + 1];

        public NewJob? Continuation { get; } = continuation;

        public bool Finished { get; set; }

        public JobId? ContinuationId { get; set; }
    }
}
