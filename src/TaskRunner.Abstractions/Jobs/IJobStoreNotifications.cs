namespace TaskRunner;

/// <summary>
/// Push wake-ups from a store shared by several processes (e.g. PostgreSQL's LISTEN/NOTIFY): another process stored work
/// that is due now, so this process's pollers can claim it at once instead of at their next poll. A store that implements
/// it declares <see cref="JobStoreCapabilities.Notifications"/>. Polling stays the safety net: a notification may be lost
/// (a dropped connection), never trusted to be the only way work is found.
/// </summary>
public interface IJobStoreNotifications
{
    /// <summary>Starts listening, and keeps listening (reconnecting after a drop) until the returned handle is disposed.</summary>
    /// <param name="onWork">Called with the queue that got work, or with <see langword="null"/> when the store cannot tell
    /// which (a delayed job or a schedule changed, or notifications may have been missed while reconnecting). Called on a
    /// background thread; it must return quickly and not throw.</param>
    /// <param name="cancellationToken">Cancels starting to listen.</param>
    /// <returns>Stops listening when disposed.</returns>
    ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken);
}
