using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TaskRunner.Sqlite;

/// <summary>
/// The connections to one database file, shared by the four SQLite stores of a process.
/// SQLite allows one writer per file at a time, so every write in this process goes through one connection behind a
/// gate (no in-process writers spinning on the file lock), inside <c>BEGIN IMMEDIATE</c> so writers in other processes
/// queue on the busy timeout instead of failing on a lock upgrade. Reads use a small pool of their own connections,
/// which WAL lets run beside the writer. A separate connection answers <c>PRAGMA data_version</c>.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    private const int MaxBusyRetries = 2;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readGate;
    private readonly SemaphoreSlim _versionGate = new(1, 1);
    private readonly ConcurrentBag<SqliteSession> _readers = [];
    private SqliteSession? _writer;
    private SqliteSession? _versionReader;
    private volatile bool _initialized;
    private bool _disposed;

    public SqliteDatabase(IOptions<SqliteStoreOptions> options, ILogger<SqliteDatabase>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(SqliteStoreOptions), typeof(SqliteStoreOptions), errors);
        }

        _logger = logger ?? NullLogger<SqliteDatabase>.Instance;
        FilePath = System.IO.Path.GetFullPath(_options.Path);
        _readGate = new SemaphoreSlim(_options.MaxReadConnections, _options.MaxReadConnections);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,

            // This class keeps its connections open for its lifetime; a pool would only keep the file open after disposal.
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds)),
        }.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>Opens the file and applies the schema migrations, once; later calls return at once.</summary>
    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await InitializeCoreAsync(cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction, retrying the whole transaction when the file is busy.</summary>
    public async ValueTask<TResult> WriteAsync<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> work, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    // Opened inside the retry: another process starting on the same file can keep it busy for a moment.
                    var session = _writer ??= Open();
                    session.BeginImmediate();
                    TResult result;
                    try
                    {
                        result = work(session, state);
                        session.Execute("COMMIT");
                    }
                    catch
                    {
                        Rollback(session);
                        throw;
                    }

                    return result;
                }
                catch (SqliteException exception) when (IsBusy(exception) && attempt < MaxBusyRetries)
                {
                    LogBusyRetry(_logger, FilePath, attempt + 1, exception.Message);
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (SqliteException exception)
                {
                    throw Translate(exception);
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a read connection from the pool.</summary>
    public async ValueTask<TResult> ReadAsync<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> work, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        SqliteSession? session = null;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    session ??= _readers.TryTake(out var pooled) ? pooled : Open();
                    return work(session, state);
                }
                catch (SqliteException exception) when (IsBusy(exception) && attempt < MaxBusyRetries)
                {
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (SqliteException exception)
                {
                    throw Translate(exception);
                }
            }
        }
        finally
        {
            if (session is not null)
            {
                _readers.Add(session);
            }

            _readGate.Release();
        }
    }

    /// <summary>A number that grows whenever any connection, in this process or another, commits to the file.</summary>
    public async ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _versionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _versionReader ??= Open();

            // data_version moves only for commits by other connections; this connection never writes, so it sees this
            // process's writer too. A write transaction that changed nothing (an empty claim) writes no page and does
            // not move it, so idle polls stay cheap.
            return (long)_versionReader.Command("PRAGMA data_version").ExecuteScalar()!;
        }
        catch (SqliteException exception)
        {
            throw Translate(exception);
        }
        finally
        {
            _versionGate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _writer?.Dispose();
        _versionReader?.Dispose();
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _writeGate.Dispose();
        _readGate.Dispose();
        _versionGate.Dispose();
    }

    internal JobStoreException Translate(SqliteException exception)
    {
        var busy = IsBusy(exception);
        var message = busy
            ? $"The SQLite database '{FilePath}' stayed busy (locked by another connection) beyond the busy timeout of {_options.BusyTimeout} and {MaxBusyRetries} retries: {exception.Message}"
            : $"SQLite error {exception.SqliteErrorCode} on '{FilePath}': {exception.Message}";
        return new JobStoreException(message, exception, isTransient: busy);
    }

    private static bool IsBusy(SqliteException exception) =>
        (exception.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked;

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds((10 << attempt) + Random.Shared.Next(0, 10));

    private static void Rollback(SqliteSession session)
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(session.Connection.Handle) == 0)
            {
                session.Execute("ROLLBACK");
            }
        }
        catch (SqliteException)
        {
            // The original error is what the caller needs; a failed rollback leaves SQLite to roll back on its own.
        }
    }

    private SqliteSession Open()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // The busy timeout is the total a call may wait, spread over the first attempt and the retries.
            var busyMilliseconds = (long)(_options.BusyTimeout.TotalMilliseconds / (MaxBusyRetries + 1));

            // Applied on every connection: these settings are per connection (journal_mode is persistent but cheap to
            // restate). NORMAL is durable against process crashes in WAL mode; only a power loss can drop the last commits.
            // Checkpointing every 10,000 pages instead of 1,000 makes the (fsync'ing) checkpoints rarer on a busy queue;
            // journal_size_limit truncates the WAL file back afterwards. A 32 MB page cache keeps the hot indexes in memory.
            command.CommandText =
                $"PRAGMA busy_timeout = {busyMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; " +
                "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -32768;";
            command.ExecuteNonQuery();
            return new SqliteSession(connection);
        }
        catch (SqliteException exception) when (!IsBusy(exception))
        {
            connection.Dispose();
            throw OpenError(exception);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private JobStoreException OpenError(SqliteException exception) => (exception.SqliteErrorCode & 0xFF) switch
    {
        // SQLITE_NOTADB, SQLITE_CORRUPT
        26 or 11 => new JobStoreException($"The file '{FilePath}' is not a SQLite database (or is corrupt); point SqliteStoreOptions.Path at a TaskRunner database or a new file: {exception.Message}", exception, isTransient: false),

        // SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR
        14 or 3 or 8 or 10 => new JobStoreException($"The SQLite database '{FilePath}' cannot be opened for reading and writing: {exception.Message}", exception, isTransient: false),
        _ => Translate(exception),
    };

    private async ValueTask InitializeCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            var directory = System.IO.Path.GetDirectoryName(FilePath);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory) && !File.Exists(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new JobStoreException($"The SQLite database '{FilePath}' cannot be opened: its directory cannot be created: {exception.Message}", exception, isTransient: false);
        }

        if (Directory.Exists(FilePath))
        {
            throw new JobStoreException($"The SQLite database '{FilePath}' cannot be opened: the path is a directory.", null, isTransient: false);
        }

        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var session = _writer ??= Open();
                SqliteSchema.Migrate(session, FilePath, _logger);
                return;
            }
            catch (SqliteException exception) when (IsBusy(exception) && attempt < MaxBusyRetries)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException exception)
            {
                throw OpenError(exception);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "SQLite database '{FilePath}' busy; retry {Attempt}: {Reason}")]
    private static partial void LogBusyRetry(ILogger logger, string filePath, int attempt, string reason);
}
