namespace TaskRunner;

/// <summary>Settings of the recurring scheduler that runs in every process.</summary>
public sealed class SchedulerOptions
{
    /// <summary>Whether this process runs the scheduler. Every process may: each occurrence is enqueued once anyway.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How often this process asks the stores whether another process changed a schedule (the scheduler) or
    /// stored a delayed job or retry (the engine's due-time wake-ups, which run also when <see cref="Enabled"/> is
    /// <see langword="false"/>). Local changes are seen at once.</summary>
    /// <value>Defaults to 2 seconds. Range 100 ms–5 minutes.</value>
    public TimeSpan StoreCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How late an occurrence may fire and still count as on time; older ones are misfires and follow the
    /// schedule's <see cref="MisfirePolicy"/>.</summary>
    /// <value>Defaults to 1 minute. Range 1 second–1 day.</value>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);
}
