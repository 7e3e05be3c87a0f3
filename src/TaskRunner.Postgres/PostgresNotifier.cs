using Microsoft.Extensions.Logging;
using Npgsql;

namespace TaskRunner.Postgres;

/// <summary>
/// The process's one listening connection: <c>LISTEN</c>s on the schema's channel and passes each notification (a queue
/// name, or '' for "something is due later") to the subscribers. After a drop it reconnects with a growing pause (0.1 s
/// doubling to 5 s) and tells the subscribers it may have missed something. An idle connection is pinged every 30 s, so
/// a silently dead one is noticed.
/// </summary>
internal sealed partial class PostgresNotifier : IAsyncDisposable
{
    private static readonly TimeSpan IdlePing = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly PostgresDatabase _database;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Action<string?>> _subscribers = [];
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private TaskCompletionSource? _listening;

    public PostgresNotifier(PostgresDatabase database, TimeProvider timeProvider, ILogger logger)
    {
        _database = database;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>How many times the listening connection was (re)opened; for tests.</summary>
    public int Connections { get; private set; }

    /// <summary>The backend process id of the current listening connection (0 when none); lets tests drop it.</summary>
    public int ListenerProcessId { get; private set; }

    /// <summary>Adds a subscriber; the first one opens the listening connection (and waits until it listens).</summary>
    public async ValueTask<IAsyncDisposable> SubscribeAsync(Action<string?> onWork, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWork);
        Task listening;
        lock (_gate)
        {
            _subscribers.Add(onWork);
            if (_loop is null)
            {
                _stop = new CancellationTokenSource();
                _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var stop = _stop.Token;
                _loop = Task.Run(() => RunAsync(stop), CancellationToken.None);
            }

            listening = _listening!.Task;
        }

        // A server that is down at start is not fatal (polling works once it is back); wait only a little for LISTEN.
        await Task.WhenAny(listening, Task.Delay(TimeSpan.FromSeconds(5), _timeProvider, cancellationToken)).ConfigureAwait(false);
        return new Subscription(this, onWork);
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        CancellationTokenSource? stop;
        lock (_gate)
        {
            _subscribers.Clear();
            loop = _loop;
            stop = _stop;
            _loop = null;
            _stop = null;
        }

        if (stop is not null)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await loop!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            stop.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var retry = FirstRetry;
        var missed = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(missed, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                LogDropped(_logger, _database.Description, retry, exception);
            }

            ListenerProcessId = 0;
            missed = true;
            try
            {
                await Task.Delay(retry, _timeProvider, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
        }
    }

    private async Task ListenAsync(bool missed, CancellationToken stop)
    {
        var connection = await _database.DataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += (_, e) => Publish(e.Payload.Length == 0 ? null : e.Payload);
            var listen = PostgresDatabase.Command(connection, _database.Sql.Listen);
            await using (listen.ConfigureAwait(false))
            {
                await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
            }

            Connections++;
            ListenerProcessId = connection.ProcessID;
            _listening?.TrySetResult();
            if (missed)
            {
                // Work stored while this process was not listening would otherwise wait for the next poll.
                Publish(null);
            }

            while (true)
            {
                if (!await connection.WaitAsync(IdlePing, stop).ConfigureAwait(false))
                {
                    var ping = PostgresDatabase.Command(connection, "SELECT 1");
                    await using var pingScope = ping.ConfigureAwait(false);
                    await ping.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }
            }
        }
    }

    private void Publish(string? queue)
    {
        Action<string?>[] subscribers;
        lock (_gate)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber(queue);
        }
    }

    private void Unsubscribe(Action<string?> onWork)
    {
        lock (_gate)
        {
            _subscribers.Remove(onWork);
        }
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The PostgreSQL listening connection ({Description}) dropped; reconnecting in {Retry} (polling covers the gap)")]
    private static partial void LogDropped(ILogger logger, string description, TimeSpan retry, Exception exception);

    private sealed class Subscription(PostgresNotifier notifier, Action<string?> onWork) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            notifier.Unsubscribe(onWork);
            return ValueTask.CompletedTask;
        }
    }
}
