using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TaskRunner.Postgres;
using TaskRunner.Sqlite;

namespace TaskRunner.Cli;

/// <summary>The store a command works on: a service provider built with <c>AddTaskRunner</c> over the chosen backend, no
/// worker, its store initializers run once (they are idempotent, and a store from an older version must be migrated
/// before this version can read it).</summary>
internal sealed class StoreSession : IAsyncDisposable
{
    public const string SqliteVariable = "TASKRUNNER_SQLITE";
    public const string PostgresVariable = "TASKRUNNER_POSTGRES";

    private readonly ServiceProvider _services;

    private StoreSession(ServiceProvider services, string description)
    {
        _services = services;
        Description = description;
    }

    /// <summary>Which store this is, for messages (the SQLite path, or the PostgreSQL host and database, never a password).</summary>
    public string Description { get; }

    public IJobClient Jobs => _services.GetRequiredService<IJobClient>();

    public IJobStore JobStore => _services.GetRequiredService<IJobStore>();

    public IRecurringJobs Schedules => _services.GetRequiredService<IRecurringJobs>();

    public IScheduleStore ScheduleStore => _services.GetRequiredService<IScheduleStore>();

    public INodeRegistry Nodes => _services.GetRequiredService<INodeRegistry>();

    public ILockStore Locks => _services.GetRequiredService<ILockStore>();

    /// <summary>Opens the store named by <c>--sqlite</c>/<c>--postgres</c>, or else by the environment variables.</summary>
    /// <param name="sqlite">The <c>--sqlite</c> value.</param>
    /// <param name="postgres">The <c>--postgres</c> value.</param>
    /// <param name="schema">The <c>--schema</c> value (PostgreSQL only).</param>
    /// <param name="environment">The run's environment.</param>
    /// <param name="configure">More registrations (a job declaration for a trigger).</param>
    /// <param name="cancellationToken">Cancels the initialization.</param>
    /// <exception cref="CliUserException">No store, two stores, a missing file or a malformed connection string.</exception>
    public static async Task<StoreSession> OpenAsync(string? sqlite, string? postgres, string? schema, CliEnvironment environment,
        Action<ITaskRunnerBuilder>? configure, CancellationToken cancellationToken)
    {
        if (sqlite is null && postgres is null)
        {
            sqlite = Blank(environment.Variables(SqliteVariable));
            postgres = Blank(environment.Variables(PostgresVariable));
        }

        if (sqlite is not null && postgres is not null)
        {
            throw new CliUserException($"Both a SQLite file and a PostgreSQL connection were given: name one store, with --sqlite or --postgres (or one of {SqliteVariable}, {PostgresVariable}).");
        }

        if (schema is not null && postgres is null)
        {
            throw new CliUserException($"--schema '{schema}' applies to a PostgreSQL store only; a SQLite file has no schemas.");
        }

        var services = new ServiceCollection();
        services.AddSingleton(environment.Time);
        string description;
        if (sqlite is not null)
        {
            var path = Path.GetFullPath(sqlite);
            // Opening a path that does not exist would create an empty store, and every command would then report nothing
            // wrong with it: a mistyped path must be an error instead.
            if (!File.Exists(path))
            {
                throw new CliUserException($"--sqlite '{sqlite}': no such file ({path}). Give the path of an existing TaskRunner SQLite file.");
            }

            description = path;
            services.AddTaskRunner(b =>
            {
                b.UseSqlite(path);
                configure?.Invoke(b);
            });
        }
        else if (postgres is not null)
        {
            NpgsqlConnectionStringBuilder connection;
            try
            {
                connection = new NpgsqlConnectionStringBuilder(postgres);
            }
            catch (ArgumentException ex)
            {
                throw new CliUserException($"--postgres is not a valid PostgreSQL connection string ({ex.Message}): use the form \"Host=...;Username=...;Password=...;Database=...\".");
            }

            description = $"PostgreSQL {connection.Host}:{connection.Port}/{connection.Database} schema {schema ?? PostgresStoreOptions.DefaultSchema}";
            services.AddTaskRunner(b =>
            {
                b.UsePostgres(postgres, o => o.Schema = schema ?? PostgresStoreOptions.DefaultSchema);
                configure?.Invoke(b);
            });
        }
        else
        {
            throw new CliUserException($"No store was named: give --sqlite <path> or --postgres \"Host=...\", or set {SqliteVariable} or {PostgresVariable}.");
        }

        var provider = services.BuildServiceProvider();
        try
        {
            foreach (var initializer in provider.GetServices<IStoreInitializer>())
            {
                await initializer.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw new CliUserException($"Could not open {description}: {ex.Message}");
        }

        return new StoreSession(provider, description);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
