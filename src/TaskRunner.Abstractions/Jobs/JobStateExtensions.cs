namespace TaskRunner;

/// <summary>Classifies <see cref="JobState"/> values.</summary>
public static class JobStateExtensions
{
    /// <summary>Whether the state is final: succeeded, dead-lettered or cancelled.</summary>
    public static bool IsFinished(this JobState state) =>
        state is JobState.Succeeded or JobState.DeadLettered or JobState.Cancelled;

    /// <summary>Whether the job is still to run or running: the window in which a unique key dedupes.</summary>
    public static bool IsActive(this JobState state) => !state.IsFinished();
}
