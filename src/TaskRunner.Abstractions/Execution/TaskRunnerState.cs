namespace TaskRunner;

/// <summary>The runner's lifecycle: Stopped → Starting → Running → Stopping → Stopped, or Failed.</summary>
public enum TaskRunnerState
{
    /// <summary>Not running.</summary>
    Stopped,

    /// <summary>Validating options, preparing the store, starting loops.</summary>
    Starting,

    /// <summary>Claiming and running jobs.</summary>
    Running,

    /// <summary>No longer claiming; waiting for running jobs.</summary>
    Stopping,

    /// <summary>Could not start, or a loop died.</summary>
    Failed,
}
