using System.Net.Sockets;
using MongoDB.Driver;

namespace TaskRunner.Mongo;

/// <summary>Translates the driver's exceptions into <see cref="JobStoreException"/>s: transient when the same call can
/// succeed later (a write conflict, an election, a lost or refused connection, a timeout), lasting otherwise.</summary>
internal static class MongoErrors
{
    /// <summary>The server error codes after which a retry can succeed: interrupted operations and shutdowns (11600, 11602,
    /// 91), host problems (6, 7, 89, 9001), elections and stepped-down or recovering members (10107, 13435, 13436, 189,
    /// 11601 is user interruption and not here), lock timeouts and write conflicts (24, 112), exceeded time limits (50, 262).</summary>
    private static readonly HashSet<int> TransientCodes = [6, 7, 24, 50, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436];

    /// <summary>The duplicate-key error code.</summary>
    public const int DuplicateKeyCode = 11000;

    /// <summary>Whether <paramref name="exception"/> is a unique-index violation (single or bulk write, or a command).</summary>
    public static bool IsDuplicateKey(Exception exception) => exception switch
    {
        MongoWriteException write => write.WriteError?.Category == ServerErrorCategory.DuplicateKey,
        MongoBulkWriteException bulk => bulk.WriteErrors.Count > 0 && bulk.WriteErrors.All(e => e.Category == ServerErrorCategory.DuplicateKey),
        MongoCommandException command => command.Code == DuplicateKeyCode,
        _ => false,
    };

    /// <summary>Maps a failure to a <see cref="JobStoreException"/> naming <paramref name="description"/>, or returns
    /// <see langword="null"/> for cancellation, for exceptions already translated and for foreign exceptions.</summary>
    public static JobStoreException? Translate(Exception exception, string description)
    {
        switch (exception)
        {
            case OperationCanceledException:
            case JobStoreException:
                return null;
            case MongoWriteException write when write.WriteError?.Category == ServerErrorCategory.DuplicateKey:
                return new JobStoreException($"MongoDB ({description}) refused a duplicate key: {write.WriteError.Message}", exception, isTransient: false);
            case MongoWriteException write when write.WriteError is { } error:
                var writeTransient = TransientCodes.Contains(error.Code) || HasRetryLabel(write);
                return new JobStoreException(
                    $"MongoDB ({description}) refused a write ({error.Code}): {error.Message}" + (writeTransient ? " (transient; the call can be retried)" : ""),
                    exception,
                    writeTransient);
            case MongoBulkWriteException bulk when bulk.WriteErrors.Count > 0:
                var first = bulk.WriteErrors[0];
                var bulkTransient = first.Category != ServerErrorCategory.DuplicateKey && TransientCodes.Contains(first.Code);
                return new JobStoreException(
                    $"MongoDB ({description}) refused a write ({first.Code}): {first.Message}" + (bulkTransient ? " (transient; the call can be retried)" : ""),
                    exception,
                    bulkTransient);
            case MongoAuthenticationException:
                // Before the connection case: an authentication failure is a MongoConnectionException that no retry fixes.
                return new JobStoreException($"MongoDB ({description}) refused the credentials: {exception.Message}", exception, isTransient: false);
            case MongoConnectionException or MongoNotPrimaryException or MongoNodeIsRecoveringException or MongoExecutionTimeoutException:
                return new JobStoreException($"MongoDB ({description}) could not serve the call: {exception.Message} (transient; the call can be retried)", exception, isTransient: true);
            case MongoCommandException command:
                var transient = TransientCodes.Contains(command.Code) || HasRetryLabel(command);
                return new JobStoreException(
                    $"MongoDB ({description}) failed with {command.Code} ({command.CodeName}): {command.ErrorMessage}" + (transient ? " (transient; the call can be retried)" : ""),
                    exception,
                    transient);
            case MongoException mongo when HasRetryLabel(mongo):
                return new JobStoreException($"MongoDB ({description}) failed: {exception.Message} (transient; the call can be retried)", exception, isTransient: true);
            case TimeoutException or IOException or SocketException:
                // Server selection gives up with a TimeoutException when no suitable member is reachable (a down server, an
                // election with no primary yet): the deployment may be back on the next try.
                return new JobStoreException($"MongoDB ({description}) could not be reached: {exception.Message}", exception, isTransient: true);
            case MongoException:
                return new JobStoreException($"MongoDB ({description}) failed: {exception.Message}", exception, isTransient: false);
            default:
                return null;
        }
    }

    private static bool HasRetryLabel(MongoException exception) =>
        exception.HasErrorLabel("TransientTransactionError") || exception.HasErrorLabel("RetryableWriteError");
}
