using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>
/// The client, database and collections shared by the four stores of a process; what the deployment supports (detected
/// at start with the <c>hello</c> command: a replica set or sharded cluster has transactions and change streams, a
/// standalone server has neither); index creation and the schema version; transactions where the deployment has them;
/// and the translation of driver errors into <see cref="JobStoreException"/>s.
/// </summary>
internal sealed partial class MongoDatabase : IDisposable
{
    private readonly ILogger _logger;
    private readonly IMongoClient _client;
    private readonly bool _ownsClient;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;

    public MongoDatabase(IOptions<MongoStoreOptions> options, ILogger<MongoDatabase>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var errors = value.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(MongoStoreOptions), typeof(MongoStoreOptions), errors);
        }

        _logger = logger ?? NullLogger<MongoDatabase>.Instance;
        if (value.Client is { } client)
        {
            _client = client;
        }
        else
        {
            _client = new MongoClient(value.ConnectionString);
            _ownsClient = true;
        }

        Database = _client.GetDatabase(value.Database);
        var prefix = value.CollectionPrefix;
        Jobs = Database.GetCollection<BsonDocument>(prefix + "jobs");
        Batches = Database.GetCollection<BsonDocument>(prefix + "batches");
        Locks = Database.GetCollection<BsonDocument>(prefix + "locks");
        Schedules = Database.GetCollection<BsonDocument>(prefix + "schedules");
        Metadata = Database.GetCollection<BsonDocument>(prefix + "file_metadata");
        Counters = Database.GetCollection<BsonDocument>(prefix + "counters");
        Meta = Database.GetCollection<BsonDocument>(prefix + "meta");
        Nodes = Database.GetCollection<BsonDocument>(prefix + "nodes");
        var servers = string.Join(",", _client.Settings.Servers.Select(s => s.ToString()));
        Description = $"database '{value.Database}' (collections '{prefix}*') on {servers}";
    }

    public IMongoDatabase Database { get; }

    public IMongoCollection<BsonDocument> Jobs { get; }

    public IMongoCollection<BsonDocument> Batches { get; }

    public IMongoCollection<BsonDocument> Locks { get; }

    public IMongoCollection<BsonDocument> Schedules { get; }

    public IMongoCollection<BsonDocument> Metadata { get; }

    public IMongoCollection<BsonDocument> Counters { get; }

    public IMongoCollection<BsonDocument> Meta { get; }

    public IMongoCollection<BsonDocument> Nodes { get; }

    /// <summary>Names the database and servers in error messages (never the credentials).</summary>
    public string Description { get; }

    /// <summary>Whether the deployment runs multi-document transactions (a replica set or a sharded cluster); known after
    /// <see cref="EnsureInitializedAsync"/>.</summary>
    public bool SupportsTransactions { get; private set; }

    /// <summary>Whether the deployment has change streams (a replica set or a sharded cluster); known after
    /// <see cref="EnsureInitializedAsync"/>. Until then assumed, so the engine subscribes and the subscription decides.</summary>
    public bool SupportsChangeStreams { get; private set; } = true;

    /// <summary>Connects, detects the deployment, creates the indexes and records the schema version, once; later calls
    /// return at once. Safe when several nodes start at once: index creation with an identical definition is a no-op and
    /// the version only rises.</summary>
    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await TranslateAsync(InitializeCoreAsync, cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <summary>Runs <paramref name="action"/> (after initialization), translating failures.</summary>
    public async ValueTask<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }

        return await TranslateAsync(action, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> in a transaction when the deployment has them (the driver retries it on a
    /// write conflict or an election, as its TransientTransactionError label says), or with no session on a standalone
    /// server, where each document write is atomic on its own. Nested calls pass the session they were given.</summary>
    public async Task<T> InTransactionAsync<T>(IClientSessionHandle? session, Func<IClientSessionHandle?, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        if (session is not null || !SupportsTransactions)
        {
            return await action(session, cancellationToken).ConfigureAwait(false);
        }

        using var owned = await _client.StartSessionAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return await owned.WithTransactionAsync((s, ct) => action(s, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reserves <paramref name="count"/> consecutive job ids with one <c>$inc</c> on the <c>jobs</c> counter
    /// document, outside any transaction (a counter written in transactions would make every enqueue conflict with every
    /// other); a range left unused after a failure is a harmless gap.</summary>
    /// <returns>The first id of the range.</returns>
    public async Task<long> ReserveIdsAsync(int count, CancellationToken cancellationToken)
    {
        var counter = await Counters.FindOneAndUpdateAsync(
            MongoJobQueries.CounterFilter("jobs"),
            Builders<BsonDocument>.Update.Inc(F.Sequence, (long)count),
            new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
            cancellationToken).ConfigureAwait(false);
        return counter[F.Sequence].ToInt64() - count + 1;
    }

    /// <summary>Maps a failure to a <see cref="JobStoreException"/> naming this database.</summary>
    public JobStoreException? Translate(Exception exception) => MongoErrors.Translate(exception, Description);

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        _initGate.Dispose();
    }

    private async Task<T> TranslateAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    private async Task<bool> InitializeCoreAsync(CancellationToken cancellationToken)
    {
        BsonDocument hello;
        try
        {
            hello = await Database.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException exception) when (exception.Code == 59)
        {
            // CommandNotFound: a server before 4.4.2 knows the same reply as isMaster.
            hello = await Database.RunCommandAsync<BsonDocument>(new BsonDocument("isMaster", 1), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var replicated = hello.Contains("setName") || (hello.TryGetValue("msg", out var msg) && msg == "isdbgrid");
        SupportsTransactions = replicated;
        SupportsChangeStreams = replicated;

        var stored = await Meta.Find(MongoJobQueries.CounterFilter("schema")).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var version = stored is not null && stored.TryGetValue("version", out var v) ? v.ToInt32() : 0;
        if (version > MongoSchema.CurrentVersion)
        {
            throw new JobStoreException(
                $"The MongoDB {Description} has schema version {version}, written by a newer TaskRunner.Mongo; this version knows schema versions up to {MongoSchema.CurrentVersion}. Upgrade the TaskRunner.Mongo package or use another collection prefix.",
                null,
                isTransient: false);
        }

        await Jobs.Indexes.CreateManyAsync(MongoSchema.JobIndexes, cancellationToken).ConfigureAwait(false);
        await Locks.Indexes.CreateManyAsync(MongoSchema.LockIndexes, cancellationToken).ConfigureAwait(false);
        try
        {
            await Meta.UpdateOneAsync(
                MongoJobQueries.CounterFilter("schema"),
                Builders<BsonDocument>.Update.Max("version", MongoSchema.CurrentVersion),
                new UpdateOptions { IsUpsert = true },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (MongoErrors.IsDuplicateKey(exception))
        {
            // Another node inserted the version document at the same instant; its $max applies to the same value.
        }

        if (version != MongoSchema.CurrentVersion)
        {
            LogMigrated(_logger, Description, MongoSchema.CurrentVersion);
        }

        if (!replicated)
        {
            LogStandalone(_logger, Description);
        }

        return replicated;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "MongoDB {Description}: indexes created, schema version {Version}")]
    private static partial void LogMigrated(ILogger logger, string description, int version);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "MongoDB {Description} is a standalone server: no transactions and no change streams. Wake-ups come from polling, and a crash between the writes of one call (a batch, a concurrency-key hand-off, a continuation) can leave them half done; run a replica set (one node is enough) in production")]
    private static partial void LogStandalone(ILogger logger, string description);
}
