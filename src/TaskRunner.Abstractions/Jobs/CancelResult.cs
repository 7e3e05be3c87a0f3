namespace TaskRunner;

/// <summary>The outcome of a cancel call.</summary>
public enum CancelResult
{
    /// <summary>No such job.</summary>
    NotFound,

    /// <summary>The job was waiting and is now <see cref="JobState.Cancelled"/>.</summary>
    Cancelled,

    /// <summary>The job is running; its worker will see the request at its next heartbeat and fire the handler's token.</summary>
    CancellationRequested,

    /// <summary>The job had already finished.</summary>
    AlreadyFinished,
}
