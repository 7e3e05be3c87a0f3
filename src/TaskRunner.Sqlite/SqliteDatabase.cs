using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace TaskRunner.Sqlite;

/// <summary>
/// The connections to one database file, shared by the four SQLite stores of a process.
/// SQLite allows one writer per file at a time, so every write in this process goes through one connection behind a
/// gate (no in-process writers spinning on the file lock), inside <c>BEGIN IMMEDIATE</c> so writers in other processes
/// queue on the busy timeout instead of failing on a lock upgrade. Reads use a small pool of their own connections,
/// which WAL lets run beside the writer. A separate connection answers <c>PRAGMA data_version</c>.
/// The WAL is kept bounded: a commit that leaves it above <see cref="SqliteStoreOptions.WalSizeLimit"/> checkpoints it with
/// TRUNCATE, and so does the store once it has been idle for <see cref="IdleCheckpointDelay"/>.
/// Errors are classified once, in <see cref="Translate"/>: busy and a full disk are transient; a corrupt file, a file or
/// directory that cannot be written are not, and their messages name the file and the rule.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    private const int MaxBusyRetries = 2;

    /// <summary>How long the store must go without a write before the WAL is checkpointed and truncated.</summary>
    internal static readonly TimeSpan IdleCheckpointDelay = TimeSpan.FromSeconds(1);

    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly string _walPath;
    private readonly int _busyMilliseconds;
    private readonly TimeProvider _time;
    private readonly ITimer _idleCheckpointTimer;
    private long _writesSinceCheckpoint;
    private readonly ResiliencePipeline _busyRetry;
    private readonly ResiliencePipeline _busyWriteRetry;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readGate;
    private readonly SemaphoreSlim _versionGate = new(1, 1);
    private readonly ConcurrentBag<SqliteSession> _readers = [];
    private SqliteSession? _writer;
    private SqliteSession? _versionReader;
    private volatile bool _initialized;
    private bool _disposed;

    /// <summary>The clock of the store's own timers (idle checkpoints, the change watcher).</summary>
    internal TimeProvider Time => _time;

    public SqliteDatabase(IOptions<SqliteStoreOptions> options, ILogger<SqliteDatabase>? logger = null, TimeProvider? timeProvider = null)
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
        _walPath = FilePath + "-wal";

        // The busy timeout is the total a call may wait, spread over the first attempt and the retries.
        _busyMilliseconds = (int)(_options.BusyTimeout.TotalMilliseconds / (MaxBusyRetries + 1));
        _busyRetry = BusyRetry(onRetry: null);
        _busyWriteRetry = BusyRetry(args =>
        {
            LogBusyRetry(_logger, FilePath, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "");
            return default;
        });
        _time = timeProvider ?? TimeProvider.System;
        _idleCheckpointTimer = _time.CreateTimer(static state => ((SqliteDatabase)state!).CheckpointIfIdle(), this, IdleCheckpointDelay, IdleCheckpointDelay);
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
            // The whole transaction is retried when the file is busy.
            return await _busyWriteRetry.ExecuteAsync(
                static (args, ct) => new ValueTask<TResult>(args.Database.WriteOnce(args.State, args.Work, ct)),
                (Database: this, State: state, Work: work),
                cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException exception)
        {
            throw Translate(exception);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private TResult WriteOnce<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

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

        Interlocked.Increment(ref _writesSinceCheckpoint);
        if (WalSize() > _options.WalSizeLimit)
        {
            Checkpoint(session);
        }

        return result;
    }

    /// <summary>Runs <paramref name="work"/> on a read connection from the pool.</summary>
    public async ValueTask<TResult> ReadAsync<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> work, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The connection is taken from the pool (or opened) inside the retry, kept across the retries, and returned once.
        var held = new StrongBox<SqliteSession?>();
        try
        {
            return await _busyRetry.ExecuteAsync(
                static (args, ct) =>
                {
                    ct.ThrowIfCancellationRequested();
                    var session = args.Held.Value ??= args.Database._readers.TryTake(out var pooled) ? pooled : args.Database.Open();
                    return new ValueTask<TResult>(args.Work(session, args.State));
                },
                (Database: this, State: state, Work: work, Held: held),
                cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException exception)
        {
            throw Translate(exception);
        }
        finally
        {
            if (held.Value is { } session)
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
        _idleCheckpointTimer.Dispose();
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











    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds((10 << attempt) + Random.Shared.Next(0, 10));

    /// <summary>Retries a call whose file was busy (locked by another connection) up to <see cref="MaxBusyRetries"/> times,
    /// after 10 then 20 ms (each + up to 10 ms of jitter); any other error, and the last busy one, go to the caller.</summary>
    private static ResiliencePipeline BusyRetry(Func<OnRetryArguments<object>, ValueTask>? onRetry) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<SqliteException>(IsBusy),
                MaxRetryAttempts = MaxBusyRetries,
                DelayGenerator = static args => new ValueTask<TimeSpan?>(Backoff(args.AttemptNumber)),
                OnRetry = onRetry,
            })
            .Build();

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

            // SQLite quietly opens a file it may not write read-only; every later write would fail with "attempt to write a
            // readonly database". Say so at once instead.
            if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw ReadOnlyFile();
            }

            using var command = connection.CreateCommand();

            // Applied on every connection: these settings are per connection (journal_mode is persistent but cheap to
            // restate). NORMAL is durable against process crashes in WAL mode; only a power loss can drop the last commits.
            // Checkpointing every 10,000 pages instead of 1,000 makes the (fsync'ing) checkpoints rarer on a busy queue;
            // journal_size_limit truncates the WAL file back afterwards. A 32 MB page cache keeps the hot indexes in memory.
            command.CommandText =
                $"PRAGMA busy_timeout = {_busyMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; " +
                $"PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = {_options.WalSizeLimit}; PRAGMA cache_size = -32768;";
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

        try
        {
            await _busyRetry.ExecuteAsync(
                static (database, ct) =>
                {
                    ct.ThrowIfCancellationRequested();
                    var session = database._writer ??= database.Open();
                    SqliteSchema.Migrate(session, database.FilePath, database._logger);
                    ProbeWrite(session);
                    return ValueTask.CompletedTask;
                },
                this,
                cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException exception)
        {
            throw OpenError(exception);
        }
    }

    /// <summary>Proves at start that the file can be written: a write that is rolled back (a file whose schema is current
    /// would otherwise start without writing anything, then fail on its first job).</summary>
    private static void ProbeWrite(SqliteSession session)
    {
        session.BeginImmediate();
        try
        {
            session.Execute($"PRAGMA user_version = {SqliteSchema.CurrentVersion}");
        }
        finally
        {
            Rollback(session);
        }
    }


    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "SQLite database '{FilePath}' busy; retry {Attempt}: {Reason}")]
    private static partial void LogBusyRetry(ILogger logger, string filePath, int attempt, string reason);
}
