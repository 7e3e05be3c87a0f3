using MongoDB.Bson;
using MongoDB.Driver;

namespace TaskRunner.Mongo;

/// <summary>The driver's calls with an optional session: inside a transaction they pass it, on a standalone server (no
/// transactions) they run on their own.</summary>
internal static class MongoCollectionExtensions
{
    private static readonly UpdateOptions Upsert = new() { IsUpsert = true };

    public static IFindFluent<BsonDocument, BsonDocument> FindIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, FilterDefinition<BsonDocument> filter) =>
        session is null ? collection.Find(filter) : collection.Find(session, filter);

    public static Task<UpdateResult> UpdateOneIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, FilterDefinition<BsonDocument> filter, UpdateDefinition<BsonDocument> update, CancellationToken cancellationToken, bool upsert = false) =>
        session is null
            ? collection.UpdateOneAsync(filter, update, upsert ? Upsert : null, cancellationToken)
            : collection.UpdateOneAsync(session, filter, update, upsert ? Upsert : null, cancellationToken);

    public static Task<UpdateResult> UpdateManyIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, FilterDefinition<BsonDocument> filter, UpdateDefinition<BsonDocument> update, CancellationToken cancellationToken) =>
        session is null
            ? collection.UpdateManyAsync(filter, update, cancellationToken: cancellationToken)
            : collection.UpdateManyAsync(session, filter, update, cancellationToken: cancellationToken);

    public static Task<BsonDocument?> FindOneAndUpdateIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, FilterDefinition<BsonDocument> filter, UpdateDefinition<BsonDocument> update, CancellationToken cancellationToken)
    {
        var options = new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After };
        return session is null
            ? collection.FindOneAndUpdateAsync<BsonDocument?>(filter, update, options!, cancellationToken)
            : collection.FindOneAndUpdateAsync<BsonDocument?>(session, filter, update, options!, cancellationToken);
    }

    public static Task InsertManyIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, IEnumerable<BsonDocument> documents, CancellationToken cancellationToken)
    {
        var options = new InsertManyOptions { IsOrdered = true };
        return session is null
            ? collection.InsertManyAsync(documents, options, cancellationToken)
            : collection.InsertManyAsync(session, documents, options, cancellationToken);
    }

    public static Task<long> CountIn(this IMongoCollection<BsonDocument> collection, IClientSessionHandle? session, FilterDefinition<BsonDocument> filter, long limit, CancellationToken cancellationToken)
    {
        var options = new CountOptions { Limit = limit };
        return session is null
            ? collection.CountDocumentsAsync(filter, options, cancellationToken)
            : collection.CountDocumentsAsync(session, filter, options, cancellationToken);
    }
}
