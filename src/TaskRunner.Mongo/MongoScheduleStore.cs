using MongoDB.Bson;
using MongoDB.Driver;
using D = TaskRunner.Mongo.MongoJobDocuments;

namespace TaskRunner.Mongo;

/// <summary>Schedules in the <c>{prefix}schedules</c> collection, one document per name (<c>_id</c>); every write that
/// changed a schedule then raises the <c>schedules</c> counter that <see cref="GetVersionAsync"/> reads, so a removal is
/// noticed too (the counter moves after the change is stored, so a node that sees the new version reads the change).</summary>
internal sealed class MongoScheduleStore : IScheduleStore
{
    private const string Counter = "schedules";
    private readonly MongoDatabase _database;

    public MongoScheduleStore(MongoDatabase database) => _database = database;

    private static FilterDefinitionBuilder<BsonDocument> Filter => Builders<BsonDocument>.Filter;

    /// <summary>Inserts or replaces the definition; keeps the last occurrence when the new one has none, the creation time
    /// of an existing schedule, and raises its version.</summary>
    public static UpdateDefinition<BsonDocument> UpsertUpdate(ScheduleRecord schedule, DateTimeOffset now)
    {
        var update = Builders<BsonDocument>.Update
            .Set("cron", schedule.Cron)
            .Set("timeZone", schedule.TimeZoneId)
            .Set("jobName", schedule.JobName)
            .Set("payload", new BsonBinaryData(schedule.Payload.ToArray()))
            .Set("queue", schedule.Queue is null ? BsonNull.Value : (BsonValue)schedule.Queue)
            .Set("misfirePolicy", (int)schedule.MisfirePolicy)
            .Set("maxMisfires", schedule.MaxMisfires)
            .Set("paused", schedule.Paused)
            .Set("updatedAt", now.UtcTicks)
            .SetOnInsert("createdAt", now.UtcTicks)
            .Inc("version", 1L);
        return schedule.LastOccurrence is { } last ? update.Set("lastOccurrence", last.UtcTicks) : update;
    }

    /// <summary>Moves the last occurrence only if it is still the expected one (compare-and-swap; a missing value matches
    /// <see langword="null"/>).</summary>
    public static FilterDefinition<BsonDocument> AdvanceFilter(string name, DateTimeOffset? expected) =>
        Filter.Eq("_id", name) & Filter.Eq("lastOccurrence", expected is { } e ? (BsonValue)e.UtcTicks : BsonNull.Value);

    public ValueTask<ScheduleRecord> UpsertAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return _database.RunAsync(async ct =>
        {
            var stored = await _database.Schedules.FindOneAndUpdateAsync(
                Filter.Eq("_id", schedule.Name),
                UpsertUpdate(schedule, now),
                new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
                ct).ConfigureAwait(false);
            await BumpAsync(ct).ConfigureAwait(false);
            return Read(stored);
        }, cancellationToken);
    }

    public ValueTask<ScheduleRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.RunAsync(async ct =>
        {
            var d = await _database.Schedules.Find(Filter.Eq("_id", name)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            return d is null ? null : Read(d);
        }, cancellationToken);
    }

    /// <summary>Ordered by name, ordinally (the server compares strings by their UTF-8 bytes, which is code point order).</summary>
    public ValueTask<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var docs = await _database.Schedules.Find(Filter.Empty).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).ToListAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<ScheduleRecord>)[.. docs.Select(Read)];
        }, cancellationToken);

    public ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.RunAsync(async ct =>
            await ChangedAsync((await _database.Schedules.DeleteOneAsync(Filter.Eq("_id", name), ct).ConfigureAwait(false)).DeletedCount, ct).ConfigureAwait(false),
            cancellationToken);
    }

    public ValueTask<bool> SetPausedAsync(string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var update = Builders<BsonDocument>.Update.Set("paused", paused).Set("updatedAt", now.UtcTicks).Inc("version", 1L);
        return _database.RunAsync(async ct =>
            await ChangedAsync((await _database.Schedules.UpdateOneAsync(Filter.Eq("_id", name), update, cancellationToken: ct).ConfigureAwait(false)).MatchedCount, ct).ConfigureAwait(false),
            cancellationToken);
    }

    public ValueTask<bool> TryAdvanceAsync(string name, DateTimeOffset? expectedLastOccurrence, DateTimeOffset occurrence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var update = Builders<BsonDocument>.Update.Set("lastOccurrence", occurrence.UtcTicks).Inc("version", 1L);
        return _database.RunAsync(async ct =>
            await ChangedAsync((await _database.Schedules.UpdateOneAsync(AdvanceFilter(name, expectedLastOccurrence), update, cancellationToken: ct).ConfigureAwait(false)).MatchedCount, ct).ConfigureAwait(false),
            cancellationToken);
    }

    public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken = default) =>
        _database.RunAsync(async ct =>
        {
            var d = await _database.Counters.Find(MongoJobQueries.CounterFilter(Counter)).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            return d is null ? 0L : d[MongoFields.Sequence].ToInt64();
        }, cancellationToken);

    private async Task<bool> ChangedAsync(long count, CancellationToken ct)
    {
        if (count > 0)
        {
            await BumpAsync(ct).ConfigureAwait(false);
        }

        return count > 0;
    }

    private Task<UpdateResult> BumpAsync(CancellationToken ct) =>
        _database.Counters.UpdateOneAsync(MongoJobQueries.CounterFilter(Counter), Builders<BsonDocument>.Update.Inc(MongoFields.Sequence, 1L), new UpdateOptions { IsUpsert = true }, ct);

    private static ScheduleRecord Read(BsonDocument d) => new()
    {
        Name = d["_id"].AsString,
        Cron = d["cron"].AsString,
        TimeZoneId = d["timeZone"].AsString,
        JobName = d["jobName"].AsString,
        Payload = d["payload"].AsByteArray,
        Queue = D.Text(d, "queue"),
        MisfirePolicy = (MisfirePolicy)d["misfirePolicy"].ToInt32(),
        MaxMisfires = d["maxMisfires"].ToInt32(),
        Paused = d["paused"].ToBoolean(),
        LastOccurrence = D.NullableInstant(d, "lastOccurrence"),
        CreatedAt = D.Instant(d, "createdAt"),
        UpdatedAt = D.Instant(d, "updatedAt"),
        Version = d["version"].ToInt64(),
    };
}
