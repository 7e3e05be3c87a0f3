using Microsoft.Extensions.Options;
using Npgsql;
using TaskRunner.Extraction;
using TaskRunner.Postgres;
using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Postgres;

/// <summary>PostgreSQL stores over a fresh schema of their own (so test classes run side by side on one server), dropped
/// after the test.</summary>
public sealed class PostgresStoreFactory : IStoreFactory
{
    private readonly List<PostgresDatabase> _databases = [];
    private PostgresDatabase? _database;

    public string Schema { get; } = "t_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public IJobStore JobStore => new PostgresJobStore(Database);

    public ILockStore LockStore => new PostgresLockStore(Database);

    public IScheduleStore ScheduleStore => new PostgresScheduleStore(Database);

    public IMetadataStore MetadataStore => new PostgresMetadataStore(Database);

    internal PostgresDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync was not called.");

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await PostgresServer.ConnectionStringAsync();
        _database = OpenDatabase();
        await _database.EnsureInitializedAsync(CancellationToken.None);
    }

    public IJobStore OpenSharedJobStore() => new PostgresJobStore(OpenDatabase());

    public ILockStore OpenSharedLockStore() => new PostgresLockStore(OpenDatabase());

    /// <summary>A second pool of connections to the same schema, as another process would have.</summary>
    internal PostgresDatabase OpenDatabase()
    {
        var database = new PostgresDatabase(Options.Create(new PostgresStoreOptions { ConnectionString = ConnectionString, Schema = Schema }));
        lock (_databases)
        {
            _databases.Add(database);
        }

        return database;
    }

    public async ValueTask DisposeAsync()
    {
        PostgresDatabase[] databases;
        lock (_databases)
        {
            databases = [.. _databases];
        }

        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }

        if (ConnectionString.Length > 0)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
