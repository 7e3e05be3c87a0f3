namespace TaskRunner;

/// <summary>The engine's way in for jobs created inside the runner (scheduler occurrences, batch continuations):
/// applies the job's registration defaults, stores it and wakes the local poller.</summary>
internal interface IJobSubmitter
{
    /// <summary>Enqueues one job by name with an already serialized payload.</summary>
    /// <param name="jobName">A registered job name.</param>
    /// <param name="payload">UTF-8 JSON.</param>
    /// <param name="options">Per-job settings; unset ones come from the registration.</param>
    /// <param name="idempotencyKey">See <see cref="NewJob.IdempotencyKey"/>.</param>
    /// <param name="occurrenceAt">See <see cref="NewJob.OccurrenceAt"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<EnqueueResult> SubmitAsync(string jobName, ReadOnlyMemory<byte> payload, JobOptions? options, string? idempotencyKey, DateTimeOffset? occurrenceAt, CancellationToken cancellationToken);

    /// <summary>Tells the local pollers that a stored job has become due (a delayed job's time has come).</summary>
    void Wake();
}
