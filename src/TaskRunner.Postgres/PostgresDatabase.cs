using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TaskRunner.Postgres;

/// <summary>
/// The connections to one PostgreSQL database and schema, shared by the four stores of a process: a pooled
/// <see cref="NpgsqlDataSource"/>, the schema migration (once per process, under an advisory lock across processes), and
/// the translation of server and network errors into <see cref="JobStoreException"/>s.
/// </summary>
internal sealed partial class PostgresDatabase : IAsyncDisposable, IDisposable
{
    /// <summary>SQLSTATEs that mean "try again": serialization failure, deadlock, lock not available, the server shutting
    /// down or restarting (admin/crash shutdown, cannot connect now), too many connections, out of resources.</summary>
    private static readonly HashSet<string> TransientStates =
        ["40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53000", "53100", "53200", "53300", "58000", "58030"];

    private readonly ILogger _logger;
    private readonly bool _ownsDataSource;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;

    public PostgresDatabase(IOptions<PostgresStoreOptions> options, ILogger<PostgresDatabase>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var errors = value.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(PostgresStoreOptions), typeof(PostgresStoreOptions), errors);
        }

        _logger = logger ?? NullLogger<PostgresDatabase>.Instance;
        if (value.DataSource is { } dataSource)
        {
            DataSource = dataSource;
        }
        else
        {
            DataSource = NpgsqlDataSource.Create(value.ConnectionString!);
            _ownsDataSource = true;
        }

        Sql = new PostgresSql(value.Schema);
        DurableClaims = value.DurableClaims;
        var builder = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString);
        Description = $"schema '{value.Schema}' of database '{builder.Database}' on {builder.Host}:{builder.Port}";
        Notifier = new PostgresNotifier(this, timeProvider ?? TimeProvider.System, _logger);
    }

    /// <summary>The process's listening connection for wake-ups (opened by the first subscriber).</summary>
    public PostgresNotifier Notifier { get; }

    /// <summary>Every statement, for this schema.</summary>
    public PostgresSql Sql { get; }

    /// <summary><see cref="PostgresStoreOptions.DurableClaims"/>.</summary>
    public bool DurableClaims { get; }

    /// <summary>The pool the stores open connections from.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Names the server, database and schema in error messages (never the password).</summary>
    public string Description { get; }

    /// <summary>Connects and migrates the schema, once; later calls return at once.</summary>
    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await RunCoreAsync(0, MigrateAsync, cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <summary>Runs <paramref name="action"/> on a pooled connection (after the migration), translating failures.</summary>
    public async ValueTask<T> RunAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }

        return await RunCoreAsync(state, action, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> in a transaction on a pooled connection, translating failures.</summary>
    public ValueTask<T> RunInTransactionAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        RunAsync((state, action), static async (connection, s, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            var result = await s.action(connection, s.state, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>Maps a failure to a <see cref="JobStoreException"/>: transient when trying again can succeed (see
    /// <see cref="TransientStates"/>, lost connections, timeouts), otherwise not. Cancellation passes through.</summary>
    public JobStoreException? Translate(Exception exception)
    {
        switch (exception)
        {
            case OperationCanceledException:
            case JobStoreException:
                return null;
            case PostgresException postgres:
                var transient = TransientStates.Contains(postgres.SqlState) || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
                return new JobStoreException(
                    $"PostgreSQL ({Description}) failed with {postgres.SqlState}: {postgres.MessageText}" + (transient ? " (transient; the call can be retried)" : ""),
                    exception,
                    transient);
            case NpgsqlException npgsql:
                // Lost or refused connections, I/O errors and timeouts: the server may be back on the next try.
                var lost = npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException;
                return new JobStoreException($"PostgreSQL ({Description}) could not be reached or dropped the connection: {npgsql.Message}", exception, lost);
            case InvalidOperationException when exception.Source == "Npgsql":
                // Npgsql reports a connection broken mid-command (e.g. the server restarted) this way.
                return new JobStoreException($"PostgreSQL ({Description}) connection is broken: {exception.Message}", exception, isTransient: true);
            case TimeoutException or IOException or SocketException:
                return new JobStoreException($"PostgreSQL ({Description}) could not be reached: {exception.Message}", exception, isTransient: true);
            default:
                return null;
        }
    }

    public void Dispose()
    {
        Notifier.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_ownsDataSource)
        {
            DataSource.Dispose();
        }

        _initGate.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await Notifier.DisposeAsync().ConfigureAwait(false);
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }

        _initGate.Dispose();
    }

    /// <summary>Creates a command whose text is one of <see cref="Sql"/>'s statements and whose values are positional parameters.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
#pragma warning disable CA2100 // Statement texts come from PostgresSql: constants plus a validated, quoted schema name.
        var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private async ValueTask<T> RunCoreAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await action(connection, state, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Creates the schema and applies missing migrations, in one transaction holding an advisory lock keyed by
    /// the schema name, so nodes starting together take turns and each migration runs once.</summary>
    private async Task<int> MigrateAsync(NpgsqlConnection connection, int unused, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var lockCommand = Command(connection, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", PostgresValues.Text("taskrunner.migrate:" + Sql.Schema));
        await using (lockCommand.ConfigureAwait(false))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var create = Command(connection, Sql.CreateSchema);
        await using (create.ConfigureAwait(false))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int version;
        var read = Command(connection, Sql.ReadVersion);
        await using (read.ConfigureAwait(false))
        {
            version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (version > PostgresSchema.CurrentVersion)
        {
            throw new JobStoreException(
                $"The PostgreSQL {Description} has schema version {version}, written by a newer TaskRunner.Postgres; this version knows schema versions up to {PostgresSchema.CurrentVersion}. Upgrade the TaskRunner.Postgres package or use another schema.",
                null,
                isTransient: false);
        }

        for (var next = version; next < PostgresSchema.CurrentVersion; next++)
        {
            var migrate = Command(connection, Sql.Migrations[next]);
            await using (migrate.ConfigureAwait(false))
            {
                await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            LogMigrated(_logger, Description, next + 1);
        }

        if (version != PostgresSchema.CurrentVersion)
        {
            var set = Command(connection, Sql.SetVersion, PostgresValues.Int(PostgresSchema.CurrentVersion));
            await using var setScope = set.ConfigureAwait(false);
            await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "PostgreSQL {Description} migrated to schema version {Version}")]
    private static partial void LogMigrated(ILogger logger, string description, int version);
}
