namespace TaskRunner;

/// <summary>Enqueues and manages jobs. Resolved from DI after <c>AddTaskRunner</c>; safe to use from any thread.</summary>
public partial interface IJobClient
{
    /// <summary>Enqueues one job for the handler registered for <typeparamref name="TPayload"/>.</summary>
    /// <returns>The new job's id, or the existing job's when its unique key matched.</returns>
    /// <exception cref="ArgumentException">No job is registered for the payload type, the queue is unknown, or the payload is too large.</exception>
    ValueTask<JobId> EnqueueAsync<TPayload>(TPayload payload, JobOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues one job by its registered name.</summary>
    ValueTask<JobId> EnqueueAsync<TPayload>(string jobName, TPayload payload, JobOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues many jobs of one kind in one store call.</summary>
    ValueTask<IReadOnlyList<JobId>> EnqueueManyAsync<TPayload>(IEnumerable<TPayload> payloads, JobOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues many jobs as one batch (shards), with an optional continuation run when all have finished.</summary>
    ValueTask<BatchId> EnqueueBatchAsync<TPayload>(IEnumerable<TPayload> payloads, JobOptions? options = null, JobContinuation? continuation = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a batch's counts by state.</summary>
    ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default);

    /// <summary>Completes when every job of the batch has finished.</summary>
    ValueTask<BatchStatus> WaitForBatchAsync(BatchId id, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Cancels a waiting job, or requests cancellation of a running one (its handler's token fires).</summary>
    ValueTask<CancelResult> CancelAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Lists dead-lettered jobs, oldest first.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ListDeadLettersAsync(string? queue = null, int limit = 100, JobId? afterId = null, CancellationToken cancellationToken = default);

    /// <summary>Puts a dead-lettered job back to pending with its attempts reset.</summary>
    ValueTask<bool> RequeueAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Deletes one finished job (succeeded, dead-lettered or cancelled); a job still waiting or running is left alone
    /// (cancel it first).</summary>
    /// <returns>Whether the job was found finished and deleted: <see langword="false"/> when it does not exist or has not finished.</returns>
    ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Deletes dead-lettered jobs that finished before <paramref name="finishedBefore"/> (all when <see langword="null"/>).</summary>
    ValueTask<int> PurgeDeadLettersAsync(DateTimeOffset? finishedBefore = null, CancellationToken cancellationToken = default);
}
