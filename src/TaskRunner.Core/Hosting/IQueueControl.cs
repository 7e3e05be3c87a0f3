namespace TaskRunner;

/// <summary>Pauses and resumes the queues this worker process serves, at run time (resolve it from DI in a process with
/// <c>AddTaskRunnerWorker</c>). A paused queue claims nothing here; jobs already claimed finish. The pause is per
/// process: to pause a queue everywhere, set <c>Queues:&lt;name&gt;:Paused</c> in the configuration the workers share
/// (it follows reloads). While no live worker serves a queue with pending jobs, they are reported as unserved.</summary>
public interface IQueueControl
{
    /// <summary>Stops claiming from <paramref name="queue"/> in this process, and updates this node's registry entry.</summary>
    /// <exception cref="ArgumentException">This process does not serve the queue.</exception>
    ValueTask PauseQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Claims from <paramref name="queue"/> again, at once, and updates this node's registry entry.</summary>
    /// <exception cref="ArgumentException">This process does not serve the queue.</exception>
    ValueTask ResumeQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="queue"/> is paused in this process.</summary>
    /// <exception cref="ArgumentException">This process does not serve the queue.</exception>
    bool IsPaused(string queue);
}
