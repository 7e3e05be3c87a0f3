namespace TaskRunner;

/// <summary>Pending jobs of one job name in one queue: work waiting for a worker (<see cref="INodeRegistry.ListPendingWorkAsync"/>).</summary>
/// <param name="Queue">The queue.</param>
/// <param name="JobName">The job name.</param>
/// <param name="Count">How many jobs of it are pending.</param>
public readonly record struct PendingWork(string Queue, string JobName, long Count);
