namespace TaskRunner.Sqlite;

/// <summary>
/// Push wake-ups on a shared SQLite file: SQLite has no notifications between processes, but <c>PRAGMA data_version</c>
/// moves whenever another connection commits, and reading it costs no I/O (it is the shared-memory WAL index). The watcher
/// reads it every <see cref="Interval"/> and, when it moved, tells the engine that work may be available (it cannot tell
/// which queue). Polling stays the safety net, as for every backend.
/// </summary>
internal sealed class SqliteChangeWatcher : IAsyncDisposable
{
    /// <summary>How often the version is read: an idle process makes 20 in-memory reads a second, and a job enqueued by
    /// another process is found within this time instead of at the queue's next poll (up to 30 s with the idle backoff).</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private SqliteChangeWatcher(SqliteDatabase database, Action<string?> onWork, long baseline) =>
        _loop = Task.Run(() => WatchAsync(database, onWork, baseline, _stop.Token), CancellationToken.None);

    /// <summary>Reads the current version, then watches it until disposed.</summary>
    public static async ValueTask<IAsyncDisposable> StartAsync(SqliteDatabase database, Action<string?> onWork, CancellationToken cancellationToken)
    {
        var baseline = await database.GetChangeVersionAsync(cancellationToken).ConfigureAwait(false);
        return new SqliteChangeWatcher(database, onWork, baseline);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async Task WatchAsync(SqliteDatabase database, Action<string?> onWork, long last, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval, database.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    var version = await database.GetChangeVersionAsync(stop).ConfigureAwait(false);
                    if (version != last)
                    {
                        last = version;
                        onWork(null);
                    }
                }
                catch (JobStoreException)
                {
                    // A failing store is reported by the poll loop's breaker, health and logs; keep watching for its return.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (stop.IsCancellationRequested)
        {
        }
    }
}
