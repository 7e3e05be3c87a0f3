namespace TaskRunner.Postgres;

/// <summary>Connects and applies the schema migrations when the runner starts, so an unreachable server, bad credentials
/// or a schema from a newer version fail the start with an error naming the server and schema.</summary>
internal sealed class PostgresStoreInitializer : IStoreInitializer
{
    private readonly PostgresDatabase _database;

    public PostgresStoreInitializer(PostgresDatabase database) => _database = database;

    public ValueTask InitializeAsync(CancellationToken cancellationToken) => _database.EnsureInitializedAsync(cancellationToken);
}
