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
