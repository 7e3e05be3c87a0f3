using MongoDB.Bson;
using MongoDB.Driver;
using D = TaskRunner.Mongo.MongoJobDocuments;
using F = TaskRunner.Mongo.MongoFields;
using Q = TaskRunner.Mongo.MongoJobQueries;

namespace TaskRunner.Mongo;

/// <summary>Enqueues, batches, continuations and concurrency-key slots.</summary>
internal sealed partial class MongoJobStore
{
    /// <summary>How many times an enqueue retries a job whose key clashed with a job that finished before it could be read.</summary>
    private const int MaxKeyRetries = 3;

    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<EnqueueResult>>([]);
        }

        foreach (var job in jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
        }

        // One job without a concurrency key or debounce is one document write, atomic on its own: no transaction needed.
        var single = jobs is [{ ConcurrencyKey: null, DebounceMaxDelay: null }];
        return _database.RunAsync(
            ct => WithKeyRetriesAsync(async () => single
                ? await InsertAllAsync(null, jobs, now, null, ct).ConfigureAwait(false)
                : (IReadOnlyList<EnqueueResult>)await _database.InTransactionAsync(null, async (s, c) => await InsertAllAsync(s, jobs, now, null, c).ConfigureAwait(false), ct).ConfigureAwait(false)),
            cancellationToken);
    }

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(batch.Jobs);
        var document = new BsonDocument { { F.Id, D.Uuid(batch.Id.Value) }, { F.CreatedAt, now.UtcTicks }, { F.ContinuationId, BsonNull.Value } };
        if (batch.Continuation is { } continuation)
        {
            document.Add(F.Continuation, D.ToContinuation(continuation));
        }

        return _database.RunAsync(ct => WithKeyRetriesAsync(() => _database.InTransactionAsync(null, async (s, c) =>
        {
            if (s is null)
            {
                await _database.Batches.InsertOneAsync(document, cancellationToken: c).ConfigureAwait(false);
            }
            else
            {
                await _database.Batches.InsertOneAsync(s, document, cancellationToken: c).ConfigureAwait(false);
            }

            var results = batch.Jobs.Count == 0 ? [] : await InsertAllAsync(s, batch.Jobs, now, null, c).ConfigureAwait(false);

            // An empty batch is finished the moment it exists.
            if (batch.Jobs.Count == 0)
            {
                await TryEnqueueContinuationAsync(s, batch.Id.Value, now, c).ConfigureAwait(false);
            }

            return (IReadOnlyList<EnqueueResult>)results;
        }, ct)), cancellationToken);
    }

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var batch = await _database.Batches.Find(Builders<BsonDocument>.Filter.Eq(F.Id, D.Uuid(id.Value))).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (batch is null)
            {
                return null;
            }

            var counts = await CountByStateAsync(Builders<BsonDocument>.Filter.Eq(F.BatchId, D.Uuid(id.Value)), ct).ConfigureAwait(false);
            var continuation = batch.TryGetValue(F.ContinuationId, out var c) && !c.IsBsonNull ? new JobId(c.ToInt64()) : (JobId?)null;
            return new BatchStatus { Id = id, Counts = counts, ContinuationId = continuation };
        }, cancellationToken);

    /// <summary>In a transaction a duplicate key (another process inserted the same key after our look-up) aborts the whole
    /// call: it is run again, and then finds the other job. Without transactions <see cref="InsertAllAsync"/> resolves it.</summary>
    private async Task<T> WithKeyRetriesAsync<T>(Func<Task<T>> action)
    {
        for (var round = 0; ; round++)
        {
            try
            {
                return await action().ConfigureAwait(false);
            }
            catch (Exception exception) when (round < MaxKeyRetries && _database.SupportsTransactions && MongoErrors.IsDuplicateKey(exception))
            {
            }
        }
    }

    /// <summary>Inserts the jobs in order, each job not inserted when its unique key (among active jobs) or idempotency key
    /// (among all) is taken — by a stored job or an earlier job of the same call — its result carrying that job's id.
    /// Keyed pending jobs are inserted waiting and then given their key's free slots.</summary>
    private async Task<EnqueueResult[]> InsertAllAsync(IClientSessionHandle? session, IReadOnlyList<NewJob> jobs, DateTimeOffset now, Guid? continuationOf, CancellationToken ct)
    {
        var results = new EnqueueResult?[jobs.Count];
        var todo = new List<int>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i] is { DebounceMaxDelay: { } maxDelay, UniqueKey: { } key }
                && await DebounceAsync(session, jobs[i].RunAt, maxDelay, key, now, ct).ConfigureAwait(false) is { } waiting)
            {
                results[i] = new EnqueueResult(new JobId(waiting), Created: false);
            }
            else
            {
                todo.Add(i);
            }
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; todo.Count > 0; round++)
        {
            if (round > MaxKeyRetries)
            {
                throw new JobStoreException($"Job '{jobs[todo[0]].Name}' was not inserted and no job with its unique or idempotency key was found.", null, isTransient: true);
            }

            todo = await ResolveExistingAsync(session, jobs, todo, results, ct).ConfigureAwait(false);

            // Of the jobs left, one per key is inserted; the others of the call with that key get its id.
            var insert = new List<int>(todo.Count);
            var duplicates = new List<(int Index, int Of)>();
            var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var i in todo)
            {
                var job = jobs[i];
                if ((job.IdempotencyKey is { } ik && byKey.TryGetValue("i:" + ik, out var of)) || (job.UniqueKey is { } uk && byKey.TryGetValue("u:" + uk, out of)))
                {
                    duplicates.Add((i, of));
                    continue;
                }

                if (job.IdempotencyKey is { } ikey)
                {
                    byKey["i:" + ikey] = i;
                }

                if (job.UniqueKey is { } ukey)
                {
                    byKey["u:" + ukey] = i;
                }

                insert.Add(i);
            }

            if (insert.Count == 0)
            {
                break;
            }

            var first = await _database.ReserveIdsAsync(insert.Count, ct).ConfigureAwait(false);
            var inserted = insert.Count;
            try
            {
                await Jobs.InsertManyIn(session, insert.Select((i, k) => D.ToDocument(jobs[i], first + k, now, continuationOf)), ct).ConfigureAwait(false);
            }
            catch (MongoBulkWriteException exception) when (session is null && MongoErrors.IsDuplicateKey(exception))
            {
                // An ordered insert stops at the first clash: the jobs before it are stored; the rest go round again.
                inserted = exception.WriteErrors.Min(e => e.Index);
            }

            for (var k = 0; k < inserted; k++)
            {
                results[insert[k]] = new EnqueueResult(new JobId(first + k), Created: true);
                if (jobs[insert[k]] is { ConcurrencyKey: { } key } job && job.RunAt <= now)
                {
                    keys.Add(key);
                }
            }

            todo = [.. insert.Skip(inserted)];
            foreach (var (index, of) in duplicates)
            {
                if (results[of] is { } existing)
                {
                    results[index] = existing with { Created = false };
                }
                else
                {
                    todo.Add(index);
                }
            }

            todo.Sort();
        }

        foreach (var key in keys)
        {
            await BalanceKeyAsync(session, key, ct).ConfigureAwait(false);
        }

        return [.. results.Select(r => r!.Value)];
    }

    /// <summary>Finds stored jobs holding the keys of <paramref name="todo"/>: by idempotency key (any job), else by unique
    /// key (active jobs); their results carry the existing id.</summary>
    /// <returns>The jobs still to insert.</returns>
    private async Task<List<int>> ResolveExistingAsync(IClientSessionHandle? session, IReadOnlyList<NewJob> jobs, List<int> todo, EnqueueResult?[] results, CancellationToken ct)
    {
        var idempotencyKeys = todo.Select(i => jobs[i].IdempotencyKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var uniqueKeys = todo.Select(i => jobs[i].UniqueKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (idempotencyKeys.Length == 0 && uniqueKeys.Length == 0)
        {
            return todo;
        }

        var found = await Jobs.FindIn(session, Q.ByKeys(idempotencyKeys, uniqueKeys))
            .Project(Builders<BsonDocument>.Projection.Include(F.IdempotencyKey).Include(F.ActiveKey)).ToListAsync(ct).ConfigureAwait(false);
        var byIdempotency = new Dictionary<string, long>(StringComparer.Ordinal);
        var byUnique = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var d in found)
        {
            if (D.Text(d, F.IdempotencyKey) is { } ik)
            {
                byIdempotency[ik] = d[F.Id].ToInt64();
            }

            if (D.Text(d, F.ActiveKey) is { } uk)
            {
                byUnique[uk] = d[F.Id].ToInt64();
            }
        }

        var rest = new List<int>(todo.Count);
        foreach (var i in todo)
        {
            if (jobs[i].IdempotencyKey is { } ik && byIdempotency.TryGetValue(ik, out var id))
            {
                results[i] = new EnqueueResult(new JobId(id), Created: false);
            }
            else if (jobs[i].UniqueKey is { } uk && byUnique.TryGetValue(uk, out id))
            {
                results[i] = new EnqueueResult(new JobId(id), Created: false);
            }
            else
            {
                rest.Add(i);
            }
        }

        return rest;
    }

    /// <summary>A debounced enqueue (<see cref="NewJob.DebounceMaxDelay"/>): moves the waiting job with the key to the new
    /// run-at, capped at its creation plus the max delay, and returns its id; with a running job holding the key, takes the
    /// key from it (so a change made meanwhile is handled after it) and returns null for an insert. A job waiting for a
    /// retry is left to the insert, which returns it as with a plain unique key.</summary>
    private async Task<long?> DebounceAsync(IClientSessionHandle? session, DateTimeOffset runAt, TimeSpan maxDelay, string key, DateTimeOffset now, CancellationToken ct)
    {
        for (var round = 0; round <= MaxKeyRetries; round++)
        {
            var d = await Jobs.FindIn(session, Q.ActiveByKey(key)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (d is null)
            {
                return null;
            }

            var state = (JobState)d[F.State].ToInt32();
            var id = d[F.Id].ToInt64();
            if (state == JobState.Running)
            {
                await Jobs.UpdateOneIn(session, Q.RunningByKey(key), Q.GiveUpKey(), ct).ConfigureAwait(false);
                return null;
            }

            if (state is not (JobState.Scheduled or JobState.Pending))
            {
                return null;
            }

            var createdAt = D.Instant(d, F.CreatedAt);
            var moved = runAt < createdAt + maxDelay ? runAt : createdAt + maxDelay;
            var newState = moved <= now ? JobState.Pending : JobState.Scheduled;
            var concurrencyKey = D.Text(d, F.ConcurrencyKey);

            // A keyed job becoming pending waits for a slot; one staying pending keeps what it had; a scheduled one holds none.
            var wait = newState == JobState.Pending && concurrencyKey is not null && (state != JobState.Pending || d[F.Wait].ToBoolean());
            var result = await Jobs.UpdateOneIn(session, Q.Unchanged(id, (int)state, d[F.RunAt].ToInt64()), Q.Debounce(moved, newState, wait), ct).ConfigureAwait(false);
            if (result.MatchedCount == 0)
            {
                continue;
            }

            if (concurrencyKey is not null && newState != state)
            {
                await BalanceKeyAsync(session, concurrencyKey, ct).ConfigureAwait(false);
            }

            return id;
        }

        return null;
    }

    /// <summary>Gives free slots of <paramref name="key"/> to its waiting jobs, in claim order: while the first waiting job
    /// finds fewer holders (pending with a slot, or running) than its own limit, it takes one. The holders are counted
    /// from the job documents, so nothing can drift; in a transaction, writers of one key take turns on its turn document.
    /// Idempotent: any node may run it at any time, and every change of a key's holders does.</summary>
    private Task<bool> BalanceKeyAsync(IClientSessionHandle? session, string key, CancellationToken ct) =>
        _database.InTransactionAsync(session, async (s, c) =>
        {
            await _database.Counters.UpdateOneIn(s, Q.CounterFilter("key:" + key), Q.TakeTurn(), c, upsert: true).ConfigureAwait(false);
            for (var round = 0; round < 10_000; round++)
            {
                var next = await Jobs.FindIn(s, Q.KeyWaiting(key)).Sort(Q.ClaimOrder).Limit(1)
                    .Project(Builders<BsonDocument>.Projection.Include(F.ConcurrencyLimit)).FirstOrDefaultAsync(c).ConfigureAwait(false);
                if (next is null)
                {
                    return true;
                }

                var limit = next[F.ConcurrencyLimit].ToInt32();
                if (await Jobs.CountIn(s, Q.KeyHolders(key), limit, c).ConfigureAwait(false) >= limit)
                {
                    return true;
                }

                await Jobs.UpdateOneIn(s, Q.StillWaiting(next[F.Id].ToInt64()), Q.TakeSlot(), c).ConfigureAwait(false);
            }

            return true;
        }, ct);

    /// <summary>Enqueues the continuation of a batch whose jobs have all finished, once: the finisher that records the
    /// continuation's id in the batch document (a compare-and-swap on "no id yet") inserts it.</summary>
    private Task<bool> TryEnqueueContinuationAsync(IClientSessionHandle? session, Guid batchId, DateTimeOffset now, CancellationToken ct) =>
        _database.InTransactionAsync(session, async (s, c) =>
        {
            var batch = await _database.Batches.FindOneAndUpdateIn(s, Q.ContinuationPending(batchId), Q.TakeTurn(), c).ConfigureAwait(false);
            if (batch is null || await Jobs.CountIn(s, Q.Unfinished(batchId), 1, c).ConfigureAwait(false) > 0)
            {
                return false;
            }

            var continuation = D.FromContinuation(batch[F.Continuation].AsBsonDocument);
            var results = new EnqueueResult?[1];
            var existing = (await ResolveExistingAsync(s, [continuation], [0], results, c).ConfigureAwait(false)).Count == 0;
            var id = existing ? results[0]!.Value.Id.Value : await _database.ReserveIdsAsync(1, c).ConfigureAwait(false);
            if ((await _database.Batches.UpdateOneIn(s, Q.ContinuationPending(batchId), Q.SetContinuation(id), c).ConfigureAwait(false)).ModifiedCount == 0)
            {
                return false;
            }

            if (!existing)
            {
                await Jobs.InsertManyIn(s, [D.ToDocument(continuation, id, now, batchId)], c).ConfigureAwait(false);
                if (continuation.ConcurrencyKey is { } key && continuation.RunAt <= now)
                {
                    await BalanceKeyAsync(s, key, c).ConfigureAwait(false);
                }
            }

            return true;
        }, ct);
}
