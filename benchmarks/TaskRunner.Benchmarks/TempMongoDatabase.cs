using MongoDB.Driver;

namespace TaskRunner.Benchmarks;

/// <summary>A fresh database on the MongoDB deployment named by <c>TASKRUNNER_MONGO_URI</c>, dropped on dispose. Without
/// the variable the run stops at once, saying so.</summary>
internal sealed class TempMongoDatabase : IDisposable
{
    public const string Variable = "TASKRUNNER_MONGO_URI";

    public TempMongoDatabase()
    {
        ConnectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new ArgumentException($"--backend mongo needs a server: {Variable} is not set. Set it to a MongoDB connection string, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0 (docs/mongodb.md says how to start one).");
    }

    public string ConnectionString { get; }

    public string Name { get; } = "bench_" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose()
    {
        using var client = new MongoClient(ConnectionString);
        client.DropDatabase(Name);
    }
}
