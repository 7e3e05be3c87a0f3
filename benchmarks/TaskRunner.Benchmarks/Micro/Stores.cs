using Microsoft.Extensions.Options;
using TaskRunner.Locks;
using TaskRunner.Sqlite;
using TaskRunner.Storage;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>A job store and lock store of one backend, as the engine would get them, for the store-level benchmarks.</summary>
internal sealed class Stores : IDisposable
{
    private readonly TempDatabase? _file;
    private readonly SqliteDatabase? _database;
    private readonly PostgresStores? _postgres;

    public Stores(Backend backend)
    {
        if (backend == Backend.Mongo)
        {
            throw new ArgumentException("--backend mongo is measured by e2e and latency only; the store micro-benchmarks have no MongoDB variant yet.");
        }

        if (backend == Backend.Memory)
        {
            Jobs = new InMemoryJobStore();
            Locks = new InMemoryLockStore();
            return;
        }

        if (backend == Backend.Postgres)
        {
            _postgres = new PostgresStores();
            Jobs = _postgres.Jobs;
            Locks = _postgres.Locks;
            return;
        }

        _file = new TempDatabase();
        _database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = _file.FilePath }));
        _database.EnsureInitializedAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Jobs = new SqliteJobStore(_database);
        Locks = new SqliteLockStore(_database);
    }

    public IJobStore Jobs { get; }

    public ILockStore Locks { get; }

    public static NewJob[] NewJobs(int count)
    {
        var payload = "{\"value\":0}"u8.ToArray();
        var jobs = new NewJob[count];
        for (var i = 0; i < count; i++)
        {
            jobs[i] = new NewJob { Name = "noop", Payload = payload, MaxAttempts = 10 };
        }

        return jobs;
    }

    public void Dispose()
    {
        _database?.Dispose();
        _postgres?.Dispose();
        _file?.Dispose();
    }
}
