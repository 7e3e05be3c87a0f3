namespace TaskRunner;

/// <summary>Pending jobs that no live worker can run: no live node serves their queue, or none that serves it has their
/// job name (a rolling deploy where the new job type's workers are not up yet). They wait, Pending, never dead-lettered.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="JobName">The job name.</param>
/// <param name="Count">How many are pending.</param>
/// <param name="QueueServed">Whether some live worker serves the queue (and so only the job name lacks a worker).</param>
public sealed record UnservedWork(string Queue, string JobName, long Count, bool QueueServed)
{
    /// <summary>Says what waits and why, e.g. <c>job 'resize' in queue 'default' (3 pending): no live worker has its handler</c>.</summary>
    public override string ToString() => QueueServed
        ? $"job '{JobName}' in queue '{Queue}' ({Count} pending): no live worker has its handler"
        : $"queue '{Queue}' ({Count} pending '{JobName}'): no live worker serves the queue";
}
