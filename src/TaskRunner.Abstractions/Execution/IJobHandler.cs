namespace TaskRunner;

/// <summary>Runs jobs of one kind. Registered under a stable job name; resolved from a fresh DI scope for every execution.</summary>
/// <typeparam name="TPayload">The payload type, read from the job's JSON.</typeparam>
public interface IJobHandler<in TPayload>
{
    /// <summary>Runs one attempt. Throwing fails the attempt (it is retried until attempts run out).
    /// <see cref="JobContext.CancellationToken"/> fires on timeout, cancellation request, lost lease or shutdown.</summary>
    ValueTask ExecuteAsync(TPayload payload, JobContext context);
}
