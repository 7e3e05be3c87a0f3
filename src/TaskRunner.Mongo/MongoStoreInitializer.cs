namespace TaskRunner.Mongo;

/// <summary>Connects, detects what the deployment supports and creates the indexes when the runner starts, so an
/// unreachable server, bad credentials or data from a newer version fail the start with an error naming the database.</summary>
internal sealed class MongoStoreInitializer : IStoreInitializer
{
    private readonly MongoDatabase _database;

    public MongoStoreInitializer(MongoDatabase database) => _database = database;

    public ValueTask InitializeAsync(CancellationToken cancellationToken) => _database.EnsureInitializedAsync(cancellationToken);
}
