namespace TaskRunner;

/// <summary>Seeing jobs from code: list, count, await, and read typed payloads and results.</summary>
public partial interface IJobClient
{
    /// <summary>Lists jobs matching every filter of <paramref name="query"/>, in id order: one page of at most
    /// <see cref="JobQuery.Limit"/>; the next page is <c>query with { AfterId = page[^1].Id }</c>.</summary>
    /// <exception cref="ArgumentException">The query is invalid; the message names the value and the rule.</exception>
    ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every job matching <paramref name="query"/>, in id order, read page by page (<see cref="JobQuery.Limit"/>
    /// per store call) from <see cref="JobQuery.AfterId"/> on.</summary>
    IAsyncEnumerable<JobRecord> ListAllAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts jobs matching every filter of <paramref name="query"/> (all jobs when <see langword="null"/>), by
    /// state.</summary>
    /// <exception cref="ArgumentException">The query is invalid.</exception>
    ValueTask<JobCounts> CountAsync(JobQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Completes with the job's record once it has finished (<see cref="JobState.Succeeded"/>,
    /// <see cref="JobState.DeadLettered"/> or <see cref="JobState.Cancelled"/>). A job that finishes in this process wakes
    /// the wait at once; one that finishes elsewhere is seen when the store is read again (every second).</summary>
    /// <exception cref="ArgumentException">The job does not exist (or was purged while waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    ValueTask<JobRecord> WaitForJobAsync(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Reads a succeeded job's result as <typeparamref name="TResult"/>, with the runner's JSON options.</summary>
    /// <exception cref="ArgumentException">The job does not exist.</exception>
    /// <exception cref="InvalidOperationException">The job has not succeeded or stored no result; the message names its state.</exception>
    ValueTask<TResult?> GetResultAsync<TResult>(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Waits for the job to finish (<see cref="WaitForJobAsync"/>), then reads its result as <typeparamref name="TResult"/>.</summary>
    /// <exception cref="ArgumentException">The job does not exist.</exception>
    /// <exception cref="InvalidOperationException">The job was dead-lettered or cancelled, or stored no result; the message
    /// names its state and last error.</exception>
    ValueTask<TResult?> WaitForResultAsync<TResult>(JobId id, CancellationToken cancellationToken = default);

    /// <summary>Reads a job's payload as <typeparamref name="TPayload"/>, with the runner's JSON options.</summary>
    /// <exception cref="ArgumentException">The job does not exist.</exception>
    ValueTask<TPayload?> GetPayloadAsync<TPayload>(JobId id, CancellationToken cancellationToken = default);
}
