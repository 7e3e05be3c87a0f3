using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>The states a job moves through. The numeric values are persisted: never renumber. In JSON a
/// state is its name (<c>"Succeeded"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    /// <summary>Waiting for its run-at time, which is in the future.</summary>
    Scheduled = 0,

    /// <summary>Ready to be claimed.</summary>
    Pending = 1,

    /// <summary>Claimed by a worker that holds a lease on it.</summary>
    Running = 2,

    /// <summary>Finished: the handler returned.</summary>
    Succeeded = 3,

    /// <summary>The last attempt failed; waiting for its retry time.</summary>
    Failed = 4,

    /// <summary>Finished: attempts exhausted or the job cannot run (no handler, unreadable payload).</summary>
    DeadLettered = 5,

    /// <summary>Finished: cancelled before or while running.</summary>
    Cancelled = 6,
}
