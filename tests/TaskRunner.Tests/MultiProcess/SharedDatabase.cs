using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskRunner.Postgres;
using TaskRunner.Sqlite;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>The payload of the worker host's "record" jobs (the same JSON shape: <c>{"value":n}</c>).</summary>
internal sealed record Record(long Value);

/// <summary>
/// A temp directory with one SQLite file shared by the test and its worker processes, plus the test's own view of it: a
/// TaskRunner client (no worker, the job declared without its handler) that is built but never started, so its
/// <see cref="IJobClient"/> and <see cref="IJobStore"/> work while nothing claims jobs in the test process. Kills leftover workers and deletes the directory on dispose.
/// </summary>
internal sealed class SharedDatabase : IAsyncDisposable
{
    private readonly List<WorkerProcess> _workers = [];
    private readonly IHost _host;
    private string[] _storeArguments = [];

    private SharedDatabase(string directory, IHost host)
    {
        Directory = directory;
        _host = host;
    }

    public string Directory { get; }

    public string Path => System.IO.Path.Combine(Directory, "jobs.db");

    public IJobClient Client => _host.Services.GetRequiredService<IJobClient>();

    public IJobStore Store => _host.Services.GetRequiredService<IJobStore>();

    public static Task<SharedDatabase> CreateAsync() => CreateAsync(null);

    /// <summary>The same on a PostgreSQL schema (its tables already created): the workers get <c>--postgres</c> and
    /// <c>--schema</c> instead of <c>--db</c>; the directory still holds their logs.</summary>
    public static Task<SharedDatabase> CreatePostgresAsync(string connectionString, string schema) => CreateAsync((connectionString, schema));

    private static async Task<SharedDatabase> CreateAsync((string ConnectionString, string Schema)? postgres)
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "taskrunner-tests", "multiprocess-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunner(b =>
        {
            if (postgres is { } pg)
            {
                b.UsePostgres(pg.ConnectionString, o => o.Schema = pg.Schema);
            }
            else
            {
                b.UseSqlite(System.IO.Path.Combine(directory, "jobs.db"));
            }

            b.DeclareJob<Record>("record");
        });
        var host = builder.Build();
        foreach (var initializer in host.Services.GetServices<IStoreInitializer>())
        {
            await initializer.InitializeAsync(CancellationToken.None);
        }

        var database = new SharedDatabase(directory, host);
        database._storeArguments = postgres is { } p ? ["--postgres", p.ConnectionString, "--schema", p.Schema] : ["--db", database.Path];
        return database;
    }

    public string File(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>Starts a worker process on this database; it is killed on dispose if still running.</summary>
    public WorkerProcess StartWorker(string mode, params string[] arguments)
    {
        var worker = WorkerProcess.Start(mode, [.. _storeArguments, .. arguments]);
        _workers.Add(worker);
        return worker;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere only leaves a temp directory behind.
        }

        return ValueTask.CompletedTask;
    }
}
