using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>Wake-ups from a change stream on the job collection (replica sets and sharded clusters).</summary>
internal sealed partial class MongoJobStore
{
    /// <summary>How long the watcher waits before reopening a change stream that failed.</summary>
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    /// <summary>The change events that mean "work may be claimable now": a job inserted pending, a job whose state or
    /// slot changed (a retry promoted, a released job, a slot handed on). Matched on the server, so the stream carries
    /// nothing else.</summary>
    public static BsonDocument WakeupFilter { get; } = new(
        "$or",
        new BsonArray
        {
            new BsonDocument { { "operationType", "insert" }, { "fullDocument." + F.State, (int)JobState.Pending } },
            new BsonDocument { { "operationType", "update" }, { "updateDescription.updatedFields." + F.State, (int)JobState.Pending } },
            new BsonDocument { { "operationType", "update" }, { "updateDescription.updatedFields." + F.Wait, false } },
        });

    /// <summary>Listens on a change stream when the deployment has them (detected at start), reopening it after a failure
    /// and then waking every poller, since events may have been missed. On a standalone server the store does not declare
    /// <see cref="JobStoreCapabilities.Notifications"/>, and this returns a handle that listens to nothing (logged).</summary>
    public async ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWork);
        await _database.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (!_database.SupportsChangeStreams)
        {
            LogNoChangeStreams(_logger, _database.Description);
            return new Subscription(null, Task.CompletedTask);
        }

        var stop = new CancellationTokenSource();
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Task.Run(() => WatchAsync(onWork, watching, stop.Token), CancellationToken.None);

        // Return once the first stream is open (or failed), so work stored after ListenAsync returns is seen.
        await Task.WhenAny(watching.Task, Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken)).ConfigureAwait(false);
        return new Subscription(stop, loop);
    }

    private async Task WatchAsync(Action<string?> onWork, TaskCompletionSource watching, CancellationToken stop)
    {
        var pipeline = new EmptyPipelineDefinition<ChangeStreamDocument<BsonDocument>>().Match(new BsonDocumentFilterDefinition<ChangeStreamDocument<BsonDocument>>(WakeupFilter));
        var reopened = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var cursor = await _database.Jobs.WatchAsync(pipeline, new ChangeStreamOptions { BatchSize = 100 }, stop).ConfigureAwait(false);
                watching.TrySetResult();
                if (reopened)
                {
                    onWork(null);
                }

                while (await cursor.MoveNextAsync(stop).ConfigureAwait(false))
                {
                    foreach (var change in cursor.Current)
                    {
                        onWork(change.OperationType == ChangeStreamOperationType.Insert && change.FullDocument is { } d && d.TryGetValue(F.Queue, out var q) && q.IsString ? q.AsString : null);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is MongoException or TimeoutException or IOException)
            {
                watching.TrySetResult();
                LogStreamFailed(_logger, _database.Description, exception);
                reopened = true;
                try
                {
                    await Task.Delay(ReconnectDelay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        watching.TrySetResult();
    }

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "MongoDB {Description} has no change streams (a standalone server): other processes' work is found by polling")]
    private static partial void LogNoChangeStreams(ILogger logger, string description);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "MongoDB {Description}: the change stream for wake-ups failed; reopening it (polling covers the gap)")]
    private static partial void LogStreamFailed(ILogger logger, string description, Exception exception);

    private sealed class Subscription(CancellationTokenSource? stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (stop is null)
            {
                return;
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }
}
