using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using TaskRunner.Extraction;
using TaskRunner.Postgres;
using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Postgres;

/// <summary>PostgreSQL stores over an empty schema of their own, so test classes run side by side on one server. Creating
/// the tables costs far more than emptying them, so a test's schema is emptied after it (TRUNCATE ... RESTART IDENTITY)
/// and handed to a later test; the schemas are dropped when the test process exits.</summary>
public sealed class PostgresStoreFactory : IStoreFactory
{
    private static readonly ConcurrentBag<string> EmptySchemas = [];
    private static readonly ConcurrentBag<string> AllSchemas = [];
    private static int _cleanupRegistered;

    private readonly List<PostgresDatabase> _databases = [];
    private PostgresDatabase? _database;

    public string Schema { get; } = EmptySchemas.TryTake(out var schema) ? schema : "t_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public IJobStore JobStore => new PostgresJobStore(Database);

    public ILockStore LockStore => new PostgresLockStore(Database);

    public IScheduleStore ScheduleStore => new PostgresScheduleStore(Database);

    public IMetadataStore MetadataStore => new PostgresMetadataStore(Database);

    public INodeRegistry NodeRegistry => new PostgresNodeRegistry(Database);

    internal PostgresDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync was not called.");

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await PostgresServer.ConnectionStringAsync();
        if (Interlocked.Exchange(ref _cleanupRegistered, 1) == 0)
        {
            var connectionString = ConnectionString;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DropAll(connectionString);
        }

        _database = OpenDatabase();
        await _database.EnsureInitializedAsync(CancellationToken.None);
        await new PostgresNodeRegistry(_database).EnsureCreatedAsync(CancellationToken.None);
        AllSchemas.Add(Schema);
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

        if (_database is null)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var empty = new NpgsqlCommand(
            $"TRUNCATE \"{Schema}\".jobs, \"{Schema}\".concurrency_keys, \"{Schema}\".batches, \"{Schema}\".locks, \"{Schema}\".schedules, " +
            $"\"{Schema}\".file_metadata, \"{Schema}\".nodes RESTART IDENTITY; UPDATE \"{Schema}\".counters SET value = 0", connection);
        await empty.ExecuteNonQueryAsync();
        EmptySchemas.Add(Schema);
    }

    private static void DropAll(string connectionString)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            foreach (var schema in AllSchemas.Distinct())
            {
                using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
                drop.ExecuteNonQuery();
            }
        }
        catch (NpgsqlException)
        {
            // Best effort: a throwaway server is deleted anyway; a configured one keeps a few empty test schemas.
        }
    }
}
