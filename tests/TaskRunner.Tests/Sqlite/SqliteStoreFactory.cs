using Microsoft.Extensions.Options;
using TaskRunner.Extraction;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Sqlite;

/// <summary>SQLite stores over a fresh file in a temp directory of its own, deleted after the test.</summary>
public sealed class SqliteStoreFactory : IStoreFactory
{
    private readonly List<SqliteDatabase> _databases = [];
    private SqliteDatabase? _database;

    public SqliteStoreFactory()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));
        Path = System.IO.Path.Combine(Directory, "jobs.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public IJobStore JobStore => new SqliteJobStore(Database);

    public ILockStore LockStore => new SqliteLockStore(Database);

    public IScheduleStore ScheduleStore => new SqliteScheduleStore(Database);

    public IMetadataStore MetadataStore => new SqliteMetadataStore(Database);

    public INodeRegistry NodeRegistry => new SqliteNodeRegistry(Database);

    private SqliteDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync was not called.");

    public async ValueTask InitializeAsync()
    {
        _database = OpenDatabase();
        await _database.EnsureInitializedAsync(CancellationToken.None);
    }

    public IJobStore OpenSharedJobStore() => new SqliteJobStore(OpenDatabase());

    public ILockStore OpenSharedLockStore() => new SqliteLockStore(OpenDatabase());

    /// <summary>A second set of connections to the same file, as another process would have.</summary>
    internal SqliteDatabase OpenDatabase()
    {
        var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = Path }));
        lock (_databases)
        {
            _databases.Add(database);
        }

        return database;
    }

    public ValueTask DisposeAsync()
    {
        lock (_databases)
        {
            foreach (var database in _databases)
            {
                database.Dispose();
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless; the test's outcome matters more.
        }

        return ValueTask.CompletedTask;
    }
}
