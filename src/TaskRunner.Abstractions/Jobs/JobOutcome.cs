namespace TaskRunner;

/// <summary>What a worker reports about a claimed job.</summary>
public enum JobOutcome
{
    /// <summary>The handler returned: the job is <see cref="JobState.Succeeded"/>.</summary>
    Succeeded,

    /// <summary>The attempt failed and will be retried: the job is <see cref="JobState.Failed"/> until its retry time.</summary>
    Failed,

    /// <summary>The job will not be retried: <see cref="JobState.DeadLettered"/>.</summary>
    DeadLettered,

    /// <summary>The job was cancelled on request: <see cref="JobState.Cancelled"/>.</summary>
    Cancelled,

    /// <summary>The worker hands the job back unrun (graceful shutdown): <see cref="JobState.Pending"/>, and the attempt is not counted.</summary>
    Released,
}
