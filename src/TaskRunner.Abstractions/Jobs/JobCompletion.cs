namespace TaskRunner;

/// <summary>One worker report for <see cref="IJobStore.CompleteAsync"/>. Applied only if the job is still
/// <see cref="JobState.Running"/> under <see cref="LeaseToken"/> (compare-and-swap).</summary>
public readonly record struct JobCompletion
{
    private JobCompletion(JobId id, long leaseToken, JobOutcome outcome, JobError? error, ReadOnlyMemory<byte>? result, DateTimeOffset? retryAt)
    {
        Id = id;
        LeaseToken = leaseToken;
        Outcome = outcome;
        Error = error;
        Result = result;
        RetryAt = retryAt;
    }

    /// <summary>The job.</summary>
    public JobId Id { get; }

    /// <summary>The lease token of the claim this report is about.</summary>
    public long LeaseToken { get; }

    /// <summary>The outcome.</summary>
    public JobOutcome Outcome { get; }

    /// <summary>The error, for failed, dead-lettered and cancelled outcomes.</summary>
    public JobError? Error { get; }

    /// <summary>The serialized result, for a success.</summary>
    public ReadOnlyMemory<byte>? Result { get; }

    /// <summary>When to retry, for a failure.</summary>
    public DateTimeOffset? RetryAt { get; }

    /// <summary>The handler returned.</summary>
    public static JobCompletion Succeeded(JobId id, long leaseToken, ReadOnlyMemory<byte>? result = null) =>
        new(id, leaseToken, JobOutcome.Succeeded, null, result, null);

    /// <summary>The attempt failed; retry at <paramref name="retryAt"/>.</summary>
    public static JobCompletion Failed(JobId id, long leaseToken, JobError error, DateTimeOffset retryAt) =>
        new(id, leaseToken, JobOutcome.Failed, error, null, retryAt);

    /// <summary>The job will not run again.</summary>
    public static JobCompletion DeadLettered(JobId id, long leaseToken, JobError error) =>
        new(id, leaseToken, JobOutcome.DeadLettered, error, null, null);

    /// <summary>The job was cancelled on request.</summary>
    public static JobCompletion Cancelled(JobId id, long leaseToken, JobError? error = null) =>
        new(id, leaseToken, JobOutcome.Cancelled, error, null, null);

    /// <summary>The job is handed back unrun; the attempt does not count.</summary>
    public static JobCompletion Released(JobId id, long leaseToken) =>
        new(id, leaseToken, JobOutcome.Released, null, null, null);
}
