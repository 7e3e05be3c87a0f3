using MongoDB.Bson;
using MongoDB.Driver;
using D = TaskRunner.Mongo.MongoJobDocuments;
using F = TaskRunner.Mongo.MongoFields;
using Q = TaskRunner.Mongo.MongoJobQueries;

namespace TaskRunner.Mongo;

/// <summary>Cancel, requeue, purge and the read-only queries.</summary>
internal sealed partial class MongoJobStore
{
    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            // A job changing state between the read and the write is read again; a few rounds settle it.
            for (var round = 0; ; round++)
            {
                var d = await Jobs.Find(Q.ById(id.Value)).Project(Builders<BsonDocument>.Projection.Include(F.State).Include(F.BatchId).Include(F.ConcurrencyKey))
                    .FirstOrDefaultAsync(ct).ConfigureAwait(false);
                if (d is null)
                {
                    return CancelResult.NotFound;
                }

                var state = (JobState)d[F.State].ToInt32();
                switch (state)
                {
                    case JobState.Scheduled or JobState.Pending or JobState.Failed:
                        if ((await Jobs.UpdateOneAsync(Q.Waiting(id.Value), Q.Cancel(now), cancellationToken: ct).ConfigureAwait(false)).MatchedCount > 0)
                        {
                            d[F.State] = (int)JobState.Cancelled;
                            await AfterFinishAsync([d], now, ct).ConfigureAwait(false);
                            return CancelResult.Cancelled;
                        }

                        break;
                    case JobState.Running:
                        if ((await Jobs.UpdateOneAsync(Q.RunningOne(id.Value), Q.RequestCancel(), cancellationToken: ct).ConfigureAwait(false)).MatchedCount > 0)
                        {
                            return CancelResult.CancellationRequested;
                        }

                        break;
                    default:
                        return CancelResult.AlreadyFinished;
                }

                if (round >= 3)
                {
                    throw new JobStoreException($"Job {id} kept changing state while it was being cancelled; try again.", null, isTransient: true);
                }
            }
        }, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var d = await Jobs.Find(Q.Requeueable(id.Value)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (d is null)
            {
                return false;
            }

            var key = D.Text(d, F.ConcurrencyKey);
            try
            {
                if ((await Jobs.UpdateOneAsync(Q.Requeueable(id.Value), Q.Requeue(now, D.Text(d, F.UniqueKey), key is not null), cancellationToken: ct).ConfigureAwait(false)).MatchedCount == 0)
                {
                    return false;
                }
            }
            catch (MongoWriteException exception) when (MongoErrors.IsDuplicateKey(exception))
            {
                // Another active job holds the unique key: the dead letter stays.
                return false;
            }

            if (key is not null)
            {
                await BalanceKeyAsync(null, key, ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ThrowIfInvalid();

        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult(0);
        }

        return _database.RunAsync(async ct =>
        {
            var filter = Q.Purgeable(request.State, request.FinishedBefore);
            var ids = (await Jobs.Find(filter).Sort(Builders<BsonDocument>.Sort.Ascending(F.FinishedAt)).Limit(request.MaxCount).Project(IdOnly).ToListAsync(ct).ConfigureAwait(false))
                .Select(d => d[F.Id].ToInt64()).ToArray();
            if (ids.Length == 0)
            {
                return 0;
            }

            return (int)(await Jobs.DeleteManyAsync(Q.ByIds(ids) & filter, ct).ConfigureAwait(false)).DeletedCount;
        }, cancellationToken);
    }

    // One delete with the state in its filter, so a job requeued or still running is never deleted.
    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct => (await Jobs.DeleteOneAsync(Q.FinishedById(id.Value), ct).ConfigureAwait(false)).DeletedCount > 0, cancellationToken);

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var d = await Jobs.Find(Q.ById(id.Value)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            return d is null ? null : D.ToRecord(d);
        }, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid(); // a limit of 1 or more: the driver would read 0 as "no limit"
        return _database.RunAsync(async ct =>
        {
            var docs = await Jobs.Find(Q.List(query)).Sort(Builders<BsonDocument>.Sort.Ascending(F.Id)).Limit(query.Limit).ToListAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<JobRecord>)[.. docs.Select(D.ToRecord)];
        }, cancellationToken);
    }

    public ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return _database.RunAsync(ct => CountByStateAsync(Q.Matching(query), ct), cancellationToken);
    }

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        _database.RunAsync(ct => CountByStateAsync(queue is null ? Builders<BsonDocument>.Filter.Empty : Builders<BsonDocument>.Filter.Eq(F.Queue, queue), ct), cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var d = await Jobs.Find(Q.DueLater(now)).Sort(Builders<BsonDocument>.Sort.Ascending(F.RunAt)).Limit(1)
                .Project(Builders<BsonDocument>.Projection.Include(F.RunAt)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            return d is null ? (DateTimeOffset?)null : D.Instant(d, F.RunAt);
        }, cancellationToken);

    private async Task<JobCounts> CountByStateAsync(FilterDefinition<BsonDocument> filter, CancellationToken ct)
    {
        var groups = await Jobs.Aggregate().Match(filter)
            .Group(new BsonDocument { { "_id", "$" + F.State }, { "n", new BsonDocument("$sum", 1) } })
            .ToListAsync(ct).ConfigureAwait(false);
        var counts = new long[7];
        foreach (var group in groups)
        {
            var state = group["_id"].ToInt32();
            if ((uint)state < (uint)counts.Length)
            {
                counts[state] = group["n"].ToInt64();
            }
        }

        return JobCounts.FromCountsByState(counts);
    }
}
