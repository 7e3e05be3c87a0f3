using MongoDB.Bson;
using MongoDB.Driver;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>Nodes in the <c>{prefix}nodes</c> collection, one document per node id (<c>_id</c>), replaced on every
/// heartbeat. It needs no index beyond <c>_id</c>: it holds one document per live process, and the purge scans them all.
/// Times are UTC ticks, as in the other collections.</summary>
internal sealed class MongoNodeRegistry(MongoDatabase database) : INodeRegistry
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    public async ValueTask UpsertAsync(NodeRecord node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var document = new BsonDocument
        {
            { F.Id, node.Id },
            { "host", node.Host },
            { "version", node.Version },
            { "queues", new BsonArray(node.Queues) },
            { "jobNames", new BsonArray(node.JobNames) },
            { "claimsAny", node.ClaimsAnyJobName },
            { "startedAt", node.StartedAt.UtcTicks },
            { "lastHeartbeatAt", node.LastHeartbeatAt.UtcTicks },
        };
        await database.RunAsync(
            ct => database.Nodes.ReplaceOneAsync(Filter.Eq(F.Id, node.Id), document, new ReplaceOptions { IsUpsert = true }, ct),
            cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        database.RunAsync(async ct =>
        {
            var documents = await database.Nodes.Find(Filter.Empty).Sort(Builders<BsonDocument>.Sort.Ascending(F.Id)).ToListAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<NodeRecord>)documents.ConvertAll(static d => new NodeRecord
            {
                Id = d[F.Id].AsString,
                Host = d["host"].AsString,
                Version = d["version"].AsString,
                Queues = [.. d["queues"].AsBsonArray.Select(static v => v.AsString)],
                JobNames = [.. d["jobNames"].AsBsonArray.Select(static v => v.AsString)],
                ClaimsAnyJobName = d["claimsAny"].AsBoolean,
                StartedAt = new DateTimeOffset(d["startedAt"].AsInt64, TimeSpan.Zero),
                LastHeartbeatAt = new DateTimeOffset(d["lastHeartbeatAt"].AsInt64, TimeSpan.Zero),
            });
        }, cancellationToken);

    public ValueTask<bool> RemoveAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        return database.RunAsync(
            async ct => (await database.Nodes.DeleteOneAsync(Filter.Eq(F.Id, nodeId), ct).ConfigureAwait(false)).DeletedCount > 0,
            cancellationToken);
    }

    public ValueTask<int> PurgeAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken = default) =>
        database.RunAsync(
            async ct => (int)(await database.Nodes.DeleteManyAsync(Filter.Lt("lastHeartbeatAt", heartbeatBefore.UtcTicks), ct).ConfigureAwait(false)).DeletedCount,
            cancellationToken);

    /// <summary>Pending jobs grouped by queue and name: a <c>$match</c> on the state (the <c>state_run_at</c> index), then
    /// <c>$group</c> and <c>$sort</c>.</summary>
    public ValueTask<IReadOnlyList<PendingWork>> ListPendingWorkAsync(CancellationToken cancellationToken = default) =>
        database.RunAsync(async ct =>
        {
            BsonDocument[] pipeline =
            [
                new("$match", new BsonDocument(F.State, (int)JobState.Pending)),
                new("$group", new BsonDocument { { F.Id, new BsonDocument { { "queue", "$" + F.Queue }, { "name", "$" + F.Name } } }, { "count", new BsonDocument("$sum", 1) } }),
                new("$sort", new BsonDocument { { F.Id + ".queue", 1 }, { F.Id + ".name", 1 } }),
            ];
            var groups = await database.Jobs.Aggregate<BsonDocument>(pipeline, cancellationToken: ct).ToListAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<PendingWork>)groups.ConvertAll(static g =>
                new PendingWork(g[F.Id]["queue"].AsString, g[F.Id]["name"].AsString, g["count"].ToInt64()));
        }, cancellationToken);
}
