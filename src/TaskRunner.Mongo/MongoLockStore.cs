using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>
/// Locks in the <c>{prefix}locks</c> collection: one document per name (<c>_id</c>), holding the owner, a fencing token,
/// the lease expiry (<c>expiresAt</c>, UTC ticks) and <c>cleanupAt</c> (a date for the TTL index). Each operation is one
/// atomic single-document command. Acquire is an upsert whose filter is "the lease ended" (<c>expiresAt &lt;= now</c>):
/// a free or expired lock matches and is taken, with its token raised; a held lock does not match, so the upsert tries to
/// insert a second document with the same <c>_id</c>, which the server refuses (duplicate key) — that refusal is the
/// "held" answer. Take-over is decided by that comparison, never by the TTL monitor, which only deletes documents an hour
/// after their lease ended. A document deleted that way restarts its token at the acquiring instant in ticks, which is
/// greater than any token the name had (a token grows by one per acquisition, far slower than the clock).
/// </summary>
internal sealed class MongoLockStore : ILockStore
{
    private readonly MongoDatabase _database;

    public MongoLockStore(MongoDatabase database) => _database = database;

    public static FilterDefinition<BsonDocument> AcquireFilter(string name, DateTimeOffset now) =>
        Builders<BsonDocument>.Filter.Eq(F.Id, name) & Builders<BsonDocument>.Filter.Lte(F.LockExpiresAt, now.UtcTicks);

    /// <summary>An update pipeline, so a new document's token can start from <paramref name="now"/> while an existing one's
    /// grows by one, in the same atomic command.</summary>
    public static UpdateDefinition<BsonDocument> AcquireUpdate(string owner, DateTimeOffset now, DateTimeOffset expiresAt) =>
        new PipelineUpdateDefinition<BsonDocument>(new BsonDocument[]
        {
            new("$set", new BsonDocument
            {
                { F.LockOwner, new BsonDocument("$literal", owner) }, // $literal: an owner starting with "$" is a value, not a field path
                { F.LockExpiresAt, expiresAt.UtcTicks },
                { F.LockCleanupAt, expiresAt.UtcDateTime },
                { F.LockToken, new BsonDocument("$add", new BsonArray { new BsonDocument("$ifNull", new BsonArray { "$" + F.LockToken, now.UtcTicks }), 1L }) },
            }),
        });

    public static FilterDefinition<BsonDocument> HeldFilter(string name, long fencingToken) =>
        Builders<BsonDocument>.Filter.Eq(F.Id, name) & Builders<BsonDocument>.Filter.Eq(F.LockToken, fencingToken) & Builders<BsonDocument>.Filter.Ne(F.LockOwner, BsonNull.Value);

    public static FilterDefinition<BsonDocument> RenewFilter(string name, long fencingToken, DateTimeOffset now) =>
        HeldFilter(name, fencingToken) & Builders<BsonDocument>.Filter.Gt(F.LockExpiresAt, now.UtcTicks);

    public static UpdateDefinition<BsonDocument> RenewUpdate(DateTimeOffset expiresAt) =>
        Builders<BsonDocument>.Update.Set(F.LockExpiresAt, expiresAt.UtcTicks).Set(F.LockCleanupAt, expiresAt.UtcDateTime);

    /// <summary>Frees the lock (expiry 0: any acquirer matches) and keeps the document and its token; <c>cleanupAt</c> stays
    /// at the last lease's end.</summary>
    public static UpdateDefinition<BsonDocument> ReleaseUpdate() =>
        Builders<BsonDocument>.Update.Set(F.LockOwner, BsonNull.Value).Set(F.LockExpiresAt, 0L);

    public ValueTask<LockLease?> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return _database.RunAsync(async ct =>
        {
            try
            {
                var document = await _database.Locks.FindOneAndUpdateAsync(
                    AcquireFilter(name, now),
                    AcquireUpdate(owner, now, expiresAt),
                    new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
                    ct).ConfigureAwait(false);
                return new LockLease(name, owner, document[F.LockToken].ToInt64(), expiresAt);
            }
            catch (MongoCommandException exception) when (MongoErrors.IsDuplicateKey(exception))
            {
                return (LockLease?)null;
            }
        }, cancellationToken);
    }

    public ValueTask<bool> TryRenewAsync(string name, long fencingToken, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.RunAsync(
            async ct => (await _database.Locks.UpdateOneAsync(RenewFilter(name, fencingToken, now), RenewUpdate(expiresAt), cancellationToken: ct).ConfigureAwait(false)).MatchedCount > 0,
            cancellationToken);
    }

    public ValueTask<bool> ReleaseAsync(string name, long fencingToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.RunAsync(
            async ct => (await _database.Locks.UpdateOneAsync(HeldFilter(name, fencingToken), ReleaseUpdate(), cancellationToken: ct).ConfigureAwait(false)).MatchedCount > 0,
            cancellationToken);
    }

    /// <summary>Held: an owner and an expiry after <paramref name="now"/> (released documents have a null owner and expiry 0).
    /// Sorted by <c>_id</c> with the default (binary) collation, so the order is ordinal like the other backends'.</summary>
    public ValueTask<IReadOnlyList<LockLease>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var filter = Builders<BsonDocument>.Filter.Ne(F.LockOwner, BsonNull.Value) & Builders<BsonDocument>.Filter.Gt(F.LockExpiresAt, now.UtcTicks);
            var documents = await _database.Locks.Find(filter).Sort(Builders<BsonDocument>.Sort.Ascending(F.Id)).ToListAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<LockLease>)documents.ConvertAll(d => new LockLease(
                d[F.Id].AsString, d[F.LockOwner].AsString, d[F.LockToken].ToInt64(), new DateTimeOffset(d[F.LockExpiresAt].ToInt64(), TimeSpan.Zero)));
        }, cancellationToken);
}
