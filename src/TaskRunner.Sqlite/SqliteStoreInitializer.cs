namespace TaskRunner.Sqlite;

/// <summary>Opens the database file and applies the schema migrations when the runner starts, so a bad path, a file that
/// is not a database or a schema from a newer version fails the start with an error naming the file.</summary>
internal sealed class SqliteStoreInitializer : IStoreInitializer
{
    private readonly SqliteDatabase _database;

    public SqliteStoreInitializer(SqliteDatabase database) => _database = database;

    public ValueTask InitializeAsync(CancellationToken cancellationToken) => _database.EnsureInitializedAsync(cancellationToken);
}
