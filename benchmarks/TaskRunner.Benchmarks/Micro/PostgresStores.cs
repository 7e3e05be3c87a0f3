using Microsoft.Extensions.Options;
using TaskRunner.Postgres;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>The PostgreSQL job and lock stores over a fresh schema of the server named by <c>TASKRUNNER_POSTGRES</c>,
/// as the engine would get them; the schema is dropped on dispose.</summary>
internal sealed class PostgresStores : IDisposable
{
    private readonly TempSchema _schema = new();
    private readonly PostgresDatabase _database;

    public PostgresStores(bool durableClaims = false)
    {
        _database = new PostgresDatabase(Options.Create(new PostgresStoreOptions
        {
            ConnectionString = _schema.ConnectionString, Schema = _schema.Name, DurableClaims = durableClaims,
        }));
        _database.EnsureInitializedAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Jobs = new PostgresJobStore(_database);
        Locks = new PostgresLockStore(_database);
    }

    public IJobStore Jobs { get; }

    public ILockStore Locks { get; }

    public void Dispose()
    {
        _database.Dispose();
        _schema.Dispose();
    }
}
