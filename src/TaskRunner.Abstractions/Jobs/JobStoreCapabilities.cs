namespace TaskRunner;

/// <summary>Optional abilities a job store declares, so the engine never relies on a silent no-op.</summary>
[Flags]
public enum JobStoreCapabilities
{
    /// <summary>None of the optional abilities.</summary>
    None = 0,

    /// <summary><see cref="IJobStore.GetChangeVersionAsync"/> returns a value that changes whenever any process writes,
    /// so an idle poll can skip the claim query.</summary>
    ChangeVersion = 1,

    /// <summary>The store is shared with other processes (durable, multi-node).</summary>
    Shared = 2,

    /// <summary>The store implements <see cref="IJobStoreNotifications"/>: other processes' new work is pushed, so the
    /// runner wakes its pollers at once (polling remains the fallback).</summary>
    Notifications = 4,

    /// <summary>A claim is a round trip to a database server (milliseconds), far longer than a short job runs: a queue
    /// whose <c>QueueOptions.Prefetch</c> is left unset claims ahead of its free worker slots, as many jobs as its workers
    /// get through while one claim is in flight (measured as it runs), so short jobs are claimed in large batches and long
    /// ones are not held back from other processes.</summary>
    ClaimAhead = 8,
}
