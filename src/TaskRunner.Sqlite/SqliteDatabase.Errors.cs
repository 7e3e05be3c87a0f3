using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

// How SQLite's errors become the core's: busy and a full disk are transient; a corrupt file, a file or
// directory that cannot be written are not; every message names the file and the rule.
internal sealed partial class SqliteDatabase
{
    private const int SqlitePerm = 3;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteNotADatabase = 26;

    // An I/O error on a file system with less room than this is taken for a full disk (SQLite reports ENOSPC as SQLITE_FULL
    // on ordinary writes, but as an SQLITE_IOERR variant when growing the -shm file, truncating or syncing).
    private const long DiskFullBytes = 1 << 20;

    /// <summary>The one place SQLite errors become store errors: transient when the same call may succeed later (another
    /// writer holds the lock, the disk is full), permanent otherwise, always naming the file.</summary>
    internal JobStoreException Translate(SqliteException exception) => (exception.SqliteErrorCode & 0xFF) switch
    {
        SqliteBusy or SqliteLocked => new JobStoreException(
            $"The SQLite database '{FilePath}' stayed busy (locked by another connection) beyond the busy timeout of {_options.BusyTimeout} and {MaxBusyRetries} retries: {exception.Message}",
            exception,
            isTransient: true),
        SqliteFull => DiskFull(exception),
        SqliteIoError when IsDiskFull() => DiskFull(exception),
        SqliteCorrupt or SqliteNotADatabase => new JobStoreException(
            $"The SQLite database '{FilePath}' is corrupt (SQLite error {exception.SqliteErrorCode}: {exception.Message}); stop every process using it, " +
            "then restore it from a backup or recover it with the sqlite3 shell's .recover command. Retrying will not help.",
            exception,
            isTransient: false),
        SqliteReadOnly or SqliteCantOpen or SqlitePerm => CannotWrite(exception),
        _ => new JobStoreException($"SQLite error {exception.SqliteErrorCode} on '{FilePath}': {exception.Message}", exception, isTransient: false),
    };

    private JobStoreException OpenError(SqliteException exception) => (exception.SqliteErrorCode & 0xFF) switch
    {
        SqliteNotADatabase or SqliteCorrupt => new JobStoreException($"The file '{FilePath}' is not a SQLite database (or is corrupt); point SqliteStoreOptions.Path at a TaskRunner database or a new file: {exception.Message}", exception, isTransient: false),
        SqliteIoError when !IsDiskFull() => CannotWrite(exception),
        _ => Translate(exception),
    };

    private static bool IsBusy(SqliteException exception) =>
        (exception.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked;

    private JobStoreException DiskFull(SqliteException exception) => new(
        $"The disk holding the SQLite database '{FilePath}' is full (SQLite error {exception.SqliteErrorCode}: {exception.Message}); " +
        "nothing of this call was stored. It succeeds again once space is freed.",
        exception,
        isTransient: true);

    private bool IsDiskFull()
    {
        try
        {
            return new DriveInfo(System.IO.Path.GetDirectoryName(FilePath)!).AvailableFreeSpace < DiskFullBytes;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The file could not be opened or written: says whether the file itself or its directory is read-only.</summary>
    private JobStoreException CannotWrite(SqliteException exception)
    {
        var directory = System.IO.Path.GetDirectoryName(FilePath)!;
        var name = System.IO.Path.GetFileName(FilePath);
        var rule = CanCreateFileIn(directory)
            ? "the process needs to read and write the file (and to create files beside it)"
            : $"its directory '{directory}' is read-only, and in WAL mode SQLite creates '{name}-wal' and '{name}-shm' beside the database, " +
              "so the directory must be writable too, not only the file";
        return new JobStoreException(
            $"The SQLite database '{FilePath}' cannot be written: {rule} (SQLite error {exception.SqliteErrorCode}: {exception.Message}).",
            exception,
            isTransient: false);
    }

    private JobStoreException ReadOnlyFile() => new(
        $"The SQLite database '{FilePath}' cannot be written: the file is read-only (its permissions, an immutable flag or a read-only " +
        "mount). TaskRunner writes jobs, leases and locks to it, so the process needs write access to the file and to its directory " +
        "(WAL mode creates '-wal' and '-shm' files beside it).",
        null,
        isTransient: false);

    private static bool CanCreateFileIn(string directory)
    {
        // A probe of our own name, not the database: opening and closing the database file itself would drop SQLite's
        // POSIX locks on it in this process.
        try
        {
            using var probe = new FileStream(
                System.IO.Path.Combine(directory, $".taskrunner-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
