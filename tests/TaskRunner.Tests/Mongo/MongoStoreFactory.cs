using Microsoft.Extensions.Options;
using MongoDB.Driver;
using TaskRunner.Extraction;
using TaskRunner.Mongo;
using TaskRunner.Tests.Contracts;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Mongo;

/// <summary>MongoDB stores over a database of their own per test (dropped afterwards), on the deployment named by
/// <c>TASKRUNNER_MONGO_URI</c>. Without that variable every suite over this factory is reported as skipped (never run
/// against a fake). See docs/mongodb.md for starting a replica set or a standalone server.</summary>
[RequiresServer(EnvironmentVariable, "MongoDB suite: TASKRUNNER_MONGO_URI is not set (e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0; see docs/mongodb.md)")]
public sealed class MongoStoreFactory : IStoreFactory
{
    /// <summary>The variable holding the connection string of the test deployment.</summary>
    public const string EnvironmentVariable = "TASKRUNNER_MONGO_URI";

    private readonly List<MongoDatabase> _databases = [];
    private MongoDatabase? _database;

    public string DatabaseName { get; } = "taskrunner_test_" + Guid.NewGuid().ToString("N")[..16];

    public static string ConnectionString => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } uri
        ? uri
        : throw new InvalidOperationException($"{EnvironmentVariable} is not set; the MongoDB suites need a server (docs/mongodb.md).");

    public IJobStore JobStore => new MongoJobStore(Database);

    public ILockStore LockStore => new MongoLockStore(Database);

    public IScheduleStore ScheduleStore => new MongoScheduleStore(Database);

    public IMetadataStore MetadataStore => new MongoMetadataStore(Database);

    public INodeRegistry NodeRegistry => new MongoNodeRegistry(Database);

    internal MongoDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync was not called.");

    public async ValueTask InitializeAsync()
    {
        _database = OpenDatabase();
        await _database.EnsureInitializedAsync(CancellationToken.None);
    }

    public IJobStore OpenSharedJobStore() => new MongoJobStore(OpenDatabase());

    public ILockStore OpenSharedLockStore() => new MongoLockStore(OpenDatabase());

    /// <summary>Another client on the same database, as another process would have.</summary>
    internal MongoDatabase OpenDatabase()
    {
        var database = new MongoDatabase(Options.Create(new MongoStoreOptions { ConnectionString = ConnectionString, Database = DatabaseName }));
        lock (_databases)
        {
            _databases.Add(database);
        }

        return database;
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.Database.Client.DropDatabaseAsync(DatabaseName);
        }

        lock (_databases)
        {
            foreach (var database in _databases)
            {
                database.Dispose();
            }
        }
    }
}
