namespace TaskRunner;

/// <summary>The outcome of enqueuing one job.</summary>
/// <param name="Id">The new job's id, or the existing job's when <paramref name="Created"/> is <see langword="false"/>.</param>
/// <param name="Created"><see langword="false"/> when a unique or idempotency key matched an existing job.</param>
public readonly record struct EnqueueResult(JobId Id, bool Created);
