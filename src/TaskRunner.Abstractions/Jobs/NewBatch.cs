namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.CreateBatchAsync"/>: jobs enqueued together, and an optional continuation.</summary>
public sealed class NewBatch
{
    /// <summary>The batch id; every job in <see cref="Jobs"/> carries it.</summary>
    public required BatchId Id { get; init; }

    /// <summary>The batch's jobs (shards).</summary>
    public required IReadOnlyList<NewJob> Jobs { get; init; }

    /// <summary>A job enqueued once, when every job of the batch has finished; <see langword="null"/> for none.</summary>
    public NewJob? Continuation { get; init; }
}
