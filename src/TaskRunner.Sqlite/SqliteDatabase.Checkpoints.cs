using Microsoft.Extensions.Logging;

namespace TaskRunner.Sqlite;

// Keeping the write-ahead log small: checkpointed and truncated after a commit that passed
// SqliteStoreOptions.WalSizeLimit, and once the store has been idle for IdleCheckpointDelay.
internal sealed partial class SqliteDatabase
{
    /// <summary>Checkpoints the WAL into the database and truncates it, if nothing was written since
    /// <see cref="IdleCheckpointDelay"/>. Never waits: a busy writer or reader means the store is not idle.</summary>
    internal void CheckpointIfIdle()
    {
        // A write since the last tick means the store is busy; an empty WAL has nothing to give back.
        if (_disposed || _writer is null || Interlocked.Exchange(ref _writesSinceCheckpoint, 0) > 0 || WalSize() == 0)
        {
            return;
        }

        try
        {
            if (!_writeGate.Wait(0))
            {
                return;
            }

            try
            {
                if (!_disposed && _writer is { } writer)
                {
                    Checkpoint(writer);
                }
            }
            finally
            {
                _writeGate.Release();
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while the timer fired: nothing left to checkpoint from this process.
        }
    }

    /// <summary>The size of the WAL file now (0 when there is none).</summary>
    internal long WalSize()
    {
        try
        {
            var info = new FileInfo(_walPath);
            return info.Exists ? info.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Copies every WAL frame into the database and cuts the WAL file to zero bytes (TRUNCATE), without waiting for
    /// readers: a reader holding an older snapshot makes it stop early and the next commit over the limit tries again.
    /// Called with the write gate held, outside any transaction.</summary>
    private void Checkpoint(SqliteSession session)
    {
        var handle = session.Connection.Handle;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, 0);
        try
        {
            var rc = SQLitePCL.raw.sqlite3_wal_checkpoint_v2(handle, "main", SQLitePCL.raw.SQLITE_CHECKPOINT_TRUNCATE, out var walFrames, out var copied);
            if (rc != SQLitePCL.raw.SQLITE_OK && _logger.IsEnabled(LogLevel.Debug))
            {
                // Busy readers, or a full disk that cannot take the pages back: the WAL keeps them safely until the next try.
                var reason = SQLitePCL.raw.sqlite3_errmsg(handle).utf8_to_string();
                LogCheckpointIncomplete(_logger, FilePath, rc, reason, walFrames, copied);
            }
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, _busyMilliseconds);
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "SQLite database '{FilePath}': WAL checkpoint incomplete (code {Code}: {Reason}); {Copied} of {Frames} frames copied")]
    private static partial void LogCheckpointIncomplete(ILogger logger, string filePath, int code, string reason, int frames, int copied);
}
