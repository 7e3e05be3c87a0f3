using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;
using D = TaskRunner.Mongo.MongoJobDocuments;
using F = TaskRunner.Mongo.MongoFields;
using Q = TaskRunner.Mongo.MongoJobQueries;

namespace TaskRunner.Mongo;

/// <summary>
/// The job store on MongoDB. A claim reads up to <c>MaxCount</c> candidate ids through the <c>claim</c> index (claim order)
/// and takes them with one <c>updateMany</c> whose filter repeats "still pending", so each job is taken by exactly one
/// claimer (a document update is atomic); the jobs taken are read back by the claim's tag: three round trips per batch
/// however large. Heartbeats and reports are likewise one write plus one read per batch. Concurrency keys work by slots:
/// a pending keyed job holds a slot or waits outside the claim index (<see cref="BalanceKeyAsync"/>). Multi-document steps
/// (a batch, a key's hand-off, a capped queue's claim, a continuation) run in a transaction when the deployment has them.
/// The file is split by area (administration and queries, enqueue with keys and batches, notifications) in partial files.
/// </summary>
internal sealed partial class MongoJobStore : IJobStore, IJobStoreNotifications
{
    /// <summary>How many due keyed jobs one claim promotes to pending (the rest follow on the next claim).</summary>
    private const int PromoteLimit = 1_000;

    private static readonly ProjectionDefinition<BsonDocument> IdOnly = Builders<BsonDocument>.Projection.Include(F.Id);

    private readonly MongoDatabase _database;
    private readonly ILogger _logger;

    public MongoJobStore(MongoDatabase database, ILogger<MongoJobStore>? logger = null)
    {
        _database = database;
        _logger = logger ?? NullLogger<MongoJobStore>.Instance;
    }

    private IMongoCollection<BsonDocument> Jobs => _database.Jobs;

    /// <summary>Shared by many processes; change-stream wake-ups unless detection at start found a deployment without them
    /// (a standalone server), then polling alone. No cheap change counter.</summary>
    public JobStoreCapabilities Capabilities => _database.SupportsChangeStreams
        ? JobStoreCapabilities.Shared | JobStoreCapabilities.Notifications
        : JobStoreCapabilities.Shared;

    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0 || request.QueueLimit is <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        return _database.RunAsync(async ct =>
        {
            await PromoteDueAsync(request.Now, ct).ConfigureAwait(false);
            return request.QueueLimit is { } limit
                ? await _database.InTransactionAsync(null, (s, c) => ClaimCoreAsync(s, request, limit, c), ct).ConfigureAwait(false)
                : await ClaimCoreAsync(null, request, null, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Leases.Count == 0)
        {
            return ValueTask.FromResult(HeartbeatResult.AllHeld);
        }

        return _database.RunAsync(async ct =>
        {
            await Jobs.UpdateManyAsync(Q.HeldAny(request.Leases, request.Now), Q.Heartbeat(request.LeaseExpiresAt), cancellationToken: ct).ConfigureAwait(false);
            var ids = request.Leases.Select(l => l.Id.Value).ToArray();
            var docs = await Jobs.Find(Q.ByIds(ids))
                .Project(Builders<BsonDocument>.Projection.Include(F.State).Include(F.LeaseToken).Include(F.LeaseExpiresAt).Include(F.CancelRequested))
                .ToListAsync(ct).ConfigureAwait(false);
            var byId = docs.ToDictionary(d => d[F.Id].ToInt64());
            List<JobId>? lost = null;
            List<JobId>? cancel = null;
            foreach (var lease in request.Leases)
            {
                // Held: running under the token with an expiry not passed (the update above moved every such expiry).
                if (byId.TryGetValue(lease.Id.Value, out var d) && d[F.State].ToInt32() == (int)JobState.Running && d[F.LeaseToken].ToInt64() == lease.LeaseToken
                    && d.TryGetValue(F.LeaseExpiresAt, out var expiry) && (expiry.ToInt64() >= request.Now.UtcTicks || expiry.ToInt64() == request.LeaseExpiresAt.UtcTicks))
                {
                    if (d[F.CancelRequested].ToBoolean())
                    {
                        (cancel ??= []).Add(lease.Id);
                    }
                }
                else
                {
                    (lost ??= []).Add(lease.Id);
                }
            }

            return HeartbeatResult.Of(lost, cancel);
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Completions.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JobId>>([]);
        }

        var tag = ObjectId.GenerateNewId();
        var models = request.Completions
            .Select(c => new UpdateOneModel<BsonDocument>(Q.Held(c.Id.Value, c.LeaseToken, request.Now), Q.Complete(c, request.Now, tag)))
            .ToList();
        return _database.RunAsync(async ct =>
        {
            await Jobs.BulkWriteAsync(models, new BulkWriteOptions { IsOrdered = false }, ct).ConfigureAwait(false);
            var ids = request.Completions.Select(c => c.Id.Value).ToArray();
            var applied = await Jobs.Find(Q.ReportedBy(tag, ids))
                .Project(Builders<BsonDocument>.Projection.Include(F.State).Include(F.BatchId).Include(F.ConcurrencyKey))
                .ToListAsync(ct).ConfigureAwait(false);
            await AfterFinishAsync(applied, request.Now, ct).ConfigureAwait(false);

            var appliedIds = applied.Select(d => d[F.Id].ToInt64()).ToHashSet();
            return (IReadOnlyList<JobId>)[.. request.Completions.Where(c => !appliedIds.Contains(c.Id.Value)).Select(c => c.Id)];
        }, cancellationToken);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        return _database.RunAsync(async ct =>
        {
            var result = await Jobs.UpdateOneAsync(Q.Held(request.Lease.Id.Value, request.Lease.LeaseToken, request.Now), Q.Progress(request.Percent, request.Message), cancellationToken: ct).ConfigureAwait(false);
            return result.MatchedCount > 0;
        }, cancellationToken);
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        if (maxCount <= 0)
        {
            return ValueTask.FromResult(default(RecoveryResult));
        }

        return _database.RunAsync(async ct =>
        {
            var expired = await Jobs.Find(Q.Expired(now)).Sort(Builders<BsonDocument>.Sort.Ascending(F.LeaseExpiresAt)).Limit(maxCount)
                .Project(Builders<BsonDocument>.Projection.Include(F.LeaseToken).Include(F.Owner).Include(F.Attempts).Include(F.MaxAttempts).Include(F.BatchId).Include(F.ConcurrencyKey))
                .ToListAsync(ct).ConfigureAwait(false);
            var requeued = 0;
            var finished = new List<BsonDocument>();
            foreach (var d in expired)
            {
                var attempts = d[F.Attempts].ToInt32();
                var maxAttempts = d[F.MaxAttempts].ToInt32();
                var deadLetter = attempts >= maxAttempts;

                // One update per job: its message names its worker and attempt. The filter repeats the expiry and the
                // token, so a job whose lease was extended, or which was reported, since the read is left alone.
                var result = await Jobs.UpdateOneAsync(
                    Q.ExpiredOne(d[F.Id].ToInt64(), d[F.LeaseToken].ToInt64(), now),
                    Q.Recover(deadLetter, D.Text(d, F.Owner), attempts, maxAttempts, now),
                    cancellationToken: ct).ConfigureAwait(false);
                if (result.MatchedCount == 0)
                {
                    continue;
                }

                if (deadLetter)
                {
                    d[F.State] = (int)JobState.DeadLettered;
                    finished.Add(d);
                }
                else
                {
                    // A recovered job keeps its concurrency slot.
                    requeued++;
                }
            }

            await AfterFinishAsync(finished, now, ct).ConfigureAwait(false);
            return new RecoveryResult(requeued, finished.Count);
        }, cancellationToken);
    }

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The MongoDB job store does not declare JobStoreCapabilities.ChangeVersion.");

    /// <summary>Scheduled jobs and retries whose time came become pending (keyed ones waiting for a slot, then given one
    /// in claim order by <see cref="BalanceKeyAsync"/>).</summary>
    private async Task PromoteDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await Jobs.UpdateManyAsync(Q.DueUnkeyed(now), Q.Promote(keyed: false), cancellationToken: ct).ConfigureAwait(false);
        var keyed = await Jobs.Find(Q.DueKeyed(now)).Limit(PromoteLimit).Project(Builders<BsonDocument>.Projection.Include(F.ConcurrencyKey))
            .ToListAsync(ct).ConfigureAwait(false);
        if (keyed.Count == 0)
        {
            return;
        }

        var ids = keyed.Select(d => d[F.Id].ToInt64()).ToArray();
        await Jobs.UpdateManyAsync(Q.ByIds(ids) & Builders<BsonDocument>.Filter.In(F.State, Q.DueStates), Q.Promote(keyed: true), cancellationToken: ct).ConfigureAwait(false);
        foreach (var key in keyed.Select(d => d[F.ConcurrencyKey].AsString).Distinct(StringComparer.Ordinal))
        {
            await BalanceKeyAsync(null, key, ct).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<ClaimedJob>> ClaimCoreAsync(IClientSessionHandle? session, ClaimRequest request, int? queueLimit, CancellationToken ct)
    {
        var max = request.MaxCount;
        if (queueLimit is { } limit)
        {
            // Claimers of one capped queue write its turn document first: in a transaction the second writer conflicts and
            // is retried after the first committed, so each one's count includes every claim before it.
            await _database.Counters.UpdateOneIn(session, Q.CounterFilter("queue:" + request.Queue), Q.TakeTurn(), ct, upsert: true).ConfigureAwait(false);
            var running = await Jobs.CountIn(session, Builders<BsonDocument>.Filter.Eq(F.Queue, request.Queue) & Builders<BsonDocument>.Filter.Eq(F.State, (int)JobState.Running), limit, ct).ConfigureAwait(false);
            max = (int)Math.Min(max, limit - running);
            if (max <= 0)
            {
                return [];
            }
        }

        var candidates = await Jobs.FindIn(session, Q.Claimable(request.Queue, request.JobNames)).Sort(Q.ClaimOrder).Limit(max).Project(IdOnly)
            .ToListAsync(ct).ConfigureAwait(false);
        if (candidates.Count == 0)
        {
            return [];
        }

        var tag = ObjectId.GenerateNewId();
        var ids = candidates.Select(d => d[F.Id].ToInt64()).ToArray();
        await Jobs.UpdateManyIn(session, Q.ClaimTake(ids), Q.Claim(request.Owner, request.Now + request.LeaseDuration, request.Now, tag), ct).ConfigureAwait(false);
        var claimed = await Jobs.FindIn(session, Q.ClaimedBy(tag)).Sort(Q.ClaimOrder).ToListAsync(ct).ConfigureAwait(false);
        return [.. claimed.Select(D.ToClaimed)];
    }

    /// <summary>After jobs left their slot or finished: hands each key's freed slots on, and enqueues the continuation of
    /// each batch that may have finished. <paramref name="changed"/> carries state, batch id and concurrency key.</summary>
    private async Task AfterFinishAsync(IReadOnlyList<BsonDocument> changed, DateTimeOffset now, CancellationToken ct)
    {
        HashSet<string>? keys = null;
        HashSet<Guid>? batches = null;
        foreach (var d in changed)
        {
            var state = (JobState)d[F.State].ToInt32();
            if (state != JobState.Pending && D.Text(d, F.ConcurrencyKey) is { } key)
            {
                (keys ??= new(StringComparer.Ordinal)).Add(key);
            }

            if (state.IsFinished() && D.Batch(d, F.BatchId) is { } batch)
            {
                (batches ??= []).Add(batch.Value);
            }
        }

        foreach (var key in keys ?? [])
        {
            await BalanceKeyAsync(null, key, ct).ConfigureAwait(false);
        }

        foreach (var batch in batches ?? [])
        {
            await TryEnqueueContinuationAsync(null, batch, now, ct).ConfigureAwait(false);
        }
    }
}
