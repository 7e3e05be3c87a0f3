namespace TaskRunner;

/// <summary>What a handler and middleware know about the running attempt, and how they report back.</summary>
public abstract class JobContext
{
    /// <summary>The job's id.</summary>
    public abstract JobId JobId { get; }

    /// <summary>The stable job name.</summary>
    public abstract string JobName { get; }

    /// <summary>The queue.</summary>
    public abstract string Queue { get; }

    /// <summary>This attempt's number, from 1.</summary>
    public abstract int Attempt { get; }

    /// <summary>The attempt limit.</summary>
    public abstract int MaxAttempts { get; }

    /// <summary>The job's tags.</summary>
    public abstract IReadOnlyList<string> Tags { get; }

    /// <summary>The batch, if any.</summary>
    public abstract BatchId? BatchId { get; }

    /// <summary>The lease (fencing) token of this attempt: it grows with every claim of the job, so a handler can pass it to
    /// other systems and have them refuse writes carrying a smaller token than one they have seen (a worker that lost
    /// its lease holds a smaller token than the worker that took the job over).</summary>
    public abstract long LeaseToken { get; }

    /// <summary>The occurrence of a recurring schedule this job runs for (the cron instant; the trigger time of a manual
    /// run); <see langword="null"/> for a job that no schedule created.</summary>
    public abstract DateTimeOffset? OccurrenceAt { get; }

    /// <summary>The batch whose continuation this job is, so it can read that batch's results; <see langword="null"/> for
    /// other jobs.</summary>
    public abstract BatchId? ContinuationOf { get; }

    /// <summary>The DI scope of this execution.</summary>
    public abstract IServiceProvider Services { get; }

    /// <summary>Fires on timeout, cancellation request, lost lease or shutdown.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Free-form state shared between middleware and the handler for this execution.</summary>
    public abstract IDictionary<string, object?> Items { get; }

    /// <summary>Stores progress (0–100) and an optional message, readable by any process.</summary>
    public abstract ValueTask ReportProgressAsync(int percent, string? message = null);

    /// <summary>Sets the result stored with the job when the attempt succeeds (serialized as JSON).</summary>
    public abstract void SetResult<TResult>(TResult result);
}
