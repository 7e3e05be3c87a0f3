using System.Runtime.CompilerServices;
using MongoDB.Bson;
using MongoDB.Driver;
using TaskRunner.Extraction;
using D = TaskRunner.Mongo.MongoJobDocuments;

namespace TaskRunner.Mongo;

/// <summary>File metadata of the change feed in the <c>{prefix}file_metadata</c> collection, one document per path
/// (<c>_id</c>); listed in path order, a page at a time, so a large tree is never held in one cursor batch's memory.</summary>
internal sealed class MongoMetadataStore : IMetadataStore
{
    private const int PageSize = 500;
    private readonly MongoDatabase _database;

    public MongoMetadataStore(MongoDatabase database) => _database = database;

    public static BsonDocument ToDocument(FileMetadata m)
    {
        var document = new BsonDocument
        {
            { "_id", m.Path },
            { "size", m.Size },
            { "lastWrite", m.LastWriteUtc.UtcTicks },
            { "contentHash", m.ContentHash },
            { "metadata", new BsonBinaryData(m.Metadata.ToArray()) },
            { "extractedAt", m.ExtractedAt.UtcTicks },
        };
        if (m.Error is { } error)
        {
            document.Add("error", new BsonDocument { { "type", error.Type }, { "message", error.Message }, { "stack", error.StackTrace is null ? BsonNull.Value : (BsonValue)error.StackTrace } });
        }

        return document;
    }

    public ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.RunAsync(async ct =>
        {
            var d = await _database.Metadata.Find(Builders<BsonDocument>.Filter.Eq("_id", path)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            return d is null ? null : Read(d);
        }, cancellationToken);
    }

    public async IAsyncEnumerable<FileMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        while (true)
        {
            var filter = after is null ? Builders<BsonDocument>.Filter.Empty : Builders<BsonDocument>.Filter.Gt("_id", after);
            var page = await _database.RunAsync(
                ct => _database.Metadata.Find(filter).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).Limit(PageSize).ToListAsync(ct),
                cancellationToken).ConfigureAwait(false);
            foreach (var d in page)
            {
                yield return Read(d);
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1]["_id"].AsString;
        }
    }

    public ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var document = ToDocument(metadata);
        return new ValueTask(_database.RunAsync(
            async ct => await _database.Metadata.ReplaceOneAsync(Builders<BsonDocument>.Filter.Eq("_id", metadata.Path), document, new ReplaceOptions { IsUpsert = true }, ct).ConfigureAwait(false),
            cancellationToken).AsTask());
    }

    public ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.RunAsync(
            async ct => (await _database.Metadata.DeleteOneAsync(Builders<BsonDocument>.Filter.Eq("_id", path), ct).ConfigureAwait(false)).DeletedCount > 0,
            cancellationToken);
    }

    private static FileMetadata Read(BsonDocument d) => new()
    {
        Path = d["_id"].AsString,
        Size = d["size"].ToInt64(),
        LastWriteUtc = D.Instant(d, "lastWrite"),
        ContentHash = d["contentHash"].AsString,
        Metadata = d["metadata"].AsByteArray,
        ExtractedAt = D.Instant(d, "extractedAt"),
        Error = d.TryGetValue("error", out var e) && e is BsonDocument error
            ? new JobError(error["type"].AsString, error["message"].AsString, D.Text(error, "stack"))
            : null,
    };
}
