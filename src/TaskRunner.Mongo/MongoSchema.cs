using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>The collections' indexes and the schema version. Indexes are created at start by every node; creating an index
/// that exists with the same definition is a no-op on the server, so nodes starting at once agree. The schema version is
/// kept in the <c>{prefix}meta</c> collection (<c>{_id: "schema", version: n}</c>) and only ever raised (<c>$max</c>).</summary>
internal static class MongoSchema
{
    /// <summary>The schema version this assembly writes.</summary>
    public const int CurrentVersion = 1;

    private static IndexKeysDefinitionBuilder<BsonDocument> Keys => Builders<BsonDocument>.IndexKeys;

    /// <summary>The job collection's indexes. States are <see cref="JobState"/> numbers. Partial filters use only equality
    /// and <c>$exists: true</c>, which every server version since 3.2 accepts.</summary>
    public static IReadOnlyList<CreateIndexModel<BsonDocument>> JobIndexes { get; } =
    [
        // The claim: pending jobs that hold their concurrency slot (or have no key), in claim order per queue. A job waiting
        // for a slot has wait = true and is outside this index, so jobs piling up behind a busy key cost a claim nothing.
        new(Keys.Ascending(F.Queue).Descending(F.Priority).Ascending(F.RunAt).Ascending(F.Id),
            new CreateIndexOptions<BsonDocument> { Name = "claim", PartialFilterExpression = new BsonDocument { { F.State, (int)JobState.Pending }, { F.Wait, false } } }),
        // Promotion of due scheduled jobs and retries, the next run-at, and counts per state.
        new(Keys.Ascending(F.State).Ascending(F.RunAt), new CreateIndexOptions { Name = "state_run_at" }),
        // Stale-lease recovery: running jobs by lease expiry.
        new(Keys.Ascending(F.LeaseExpiresAt),
            new CreateIndexOptions<BsonDocument> { Name = "lease", PartialFilterExpression = new BsonDocument(F.State, (int)JobState.Running) }),
        // Purge of finished jobs.
        new(Keys.Ascending(F.State).Ascending(F.FinishedAt),
            new CreateIndexOptions<BsonDocument> { Name = "finished", PartialFilterExpression = new BsonDocument(F.FinishedAt, new BsonDocument("$exists", true)) }),
        // A unique key dedupes while its job is active: activeKey holds the key only then (removed when the job finishes).
        new(Keys.Ascending(F.ActiveKey),
            new CreateIndexOptions<BsonDocument> { Name = "unique_key", Unique = true, PartialFilterExpression = new BsonDocument(F.ActiveKey, new BsonDocument("$exists", true)) }),
        // An idempotency key dedupes for as long as the job exists.
        new(Keys.Ascending(F.IdempotencyKey),
            new CreateIndexOptions<BsonDocument> { Name = "idempotency_key", Unique = true, PartialFilterExpression = new BsonDocument(F.IdempotencyKey, new BsonDocument("$exists", true)) }),
        // A key's slot holders and its waiting jobs in claim order.
        new(Keys.Ascending(F.ConcurrencyKey).Ascending(F.State).Ascending(F.Wait).Descending(F.Priority).Ascending(F.RunAt).Ascending(F.Id),
            new CreateIndexOptions<BsonDocument> { Name = "concurrency_key", PartialFilterExpression = new BsonDocument(F.ConcurrencyKey, new BsonDocument("$exists", true)) }),
        // A batch's jobs by state.
        new(Keys.Ascending(F.BatchId).Ascending(F.State),
            new CreateIndexOptions<BsonDocument> { Name = "batch", PartialFilterExpression = new BsonDocument(F.BatchId, new BsonDocument("$exists", true)) }),
        // A claim reads back the jobs it took by its claim tag.
        new(Keys.Ascending(F.ClaimTag),
            new CreateIndexOptions<BsonDocument> { Name = "claim_tag", PartialFilterExpression = new BsonDocument(F.State, (int)JobState.Running) }),
    ];

    /// <summary>The lock collection's TTL index: it only deletes documents an hour after their lease ended (the take-over
    /// never waits for it; see <see cref="MongoLockStore"/>).</summary>
    public static IReadOnlyList<CreateIndexModel<BsonDocument>> LockIndexes { get; } =
    [
        new(Keys.Ascending(F.LockCleanupAt), new CreateIndexOptions { Name = "cleanup_ttl", ExpireAfter = TimeSpan.FromHours(1) }),
    ];
}
