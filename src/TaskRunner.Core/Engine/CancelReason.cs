namespace TaskRunner;

/// <summary>Why a running job's token was fired by the runner (a timeout fires it with <see cref="None"/>).</summary>
internal enum CancelReason
{
    None = 0,
    CancellationRequested = 1,
    LeaseLost = 2,
    Shutdown = 3,
}
