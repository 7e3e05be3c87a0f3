using MongoDB.Bson;
using F = TaskRunner.Mongo.MongoFields;

namespace TaskRunner.Mongo;

/// <summary>Maps jobs to and from their documents in the <c>{prefix}jobs</c> collection. A job document has the fields of
/// <see cref="JobRecord"/> (names in <see cref="MongoFields"/>) plus three of the store's own: <c>activeKey</c> (the
/// unique key while the job is active: the unique partial index dedupes on it), <c>wait</c> (a pending keyed job waiting
/// for a slot of its concurrency key: outside the claim index) and the tags of the last claim and report (read back to
/// learn which documents a multi-document update changed).</summary>
internal static class MongoJobDocuments
{
    /// <summary>A new job's document.</summary>
    public static BsonDocument ToDocument(NewJob job, long id, DateTimeOffset now, Guid? continuationOf)
    {
        var state = job.RunAt <= now ? JobState.Pending : JobState.Scheduled;
        var document = new BsonDocument
        {
            { F.Id, id },
            { F.Name, job.Name },
            { F.Queue, job.Queue },
            { F.Payload, new BsonBinaryData(job.Payload.ToArray()) },
            { F.State, (int)state },
            { F.Priority, job.Priority },
            { F.RunAt, job.RunAt.UtcTicks },
            { F.CreatedAt, now.UtcTicks },
            { F.Attempts, 0 },
            { F.MaxAttempts, job.MaxAttempts },
            { F.ConcurrencyLimit, job.ConcurrencyLimit },

            // A keyed job becoming pending waits until BalanceKeyAsync gives it a slot.
            { F.Wait, state == JobState.Pending && job.ConcurrencyKey is not null },
            { F.LeaseToken, 0L },
            { F.CancelRequested, false },
            { F.Tags, new BsonArray(job.Tags) },
        };
        AddIfSet(document, F.Timeout, job.Timeout?.Ticks);
        AddIfSet(document, F.UniqueKey, job.UniqueKey);
        AddIfSet(document, F.ActiveKey, job.UniqueKey);
        AddIfSet(document, F.IdempotencyKey, job.IdempotencyKey);
        AddIfSet(document, F.ConcurrencyKey, job.ConcurrencyKey);
        AddIfSet(document, F.BatchId, job.BatchId?.Value);
        AddIfSet(document, F.TraceParent, job.TraceParent);
        AddIfSet(document, F.OccurrenceAt, job.OccurrenceAt?.UtcTicks);
        AddIfSet(document, F.ContinuationOf, continuationOf);
        return document;
    }

    /// <summary>A batch's continuation as stored in its batch document, to be enqueued when the batch finishes.</summary>
    public static BsonDocument ToContinuation(NewJob job)
    {
        var document = new BsonDocument
        {
            { F.Name, job.Name },
            { F.Queue, job.Queue },
            { F.Payload, new BsonBinaryData(job.Payload.ToArray()) },
            { F.Priority, job.Priority },
            { F.RunAt, job.RunAt.UtcTicks },
            { F.MaxAttempts, job.MaxAttempts },
            { F.ConcurrencyLimit, job.ConcurrencyLimit },
            { F.Tags, new BsonArray(job.Tags) },
        };
        AddIfSet(document, F.Timeout, job.Timeout?.Ticks);
        AddIfSet(document, F.UniqueKey, job.UniqueKey);
        AddIfSet(document, F.IdempotencyKey, job.IdempotencyKey);
        AddIfSet(document, F.ConcurrencyKey, job.ConcurrencyKey);
        AddIfSet(document, F.BatchId, job.BatchId?.Value);
        AddIfSet(document, F.TraceParent, job.TraceParent);
        AddIfSet(document, F.OccurrenceAt, job.OccurrenceAt?.UtcTicks);
        return document;
    }

    /// <summary>Reads back a continuation stored by <see cref="ToContinuation"/>.</summary>
    public static NewJob FromContinuation(BsonDocument d) => new()
    {
        Name = d[F.Name].AsString,
        Queue = d[F.Queue].AsString,
        Payload = Bytes(d, F.Payload),
        Priority = d[F.Priority].ToInt32(),
        RunAt = Instant(d, F.RunAt),
        MaxAttempts = d[F.MaxAttempts].ToInt32(),
        ConcurrencyLimit = d[F.ConcurrencyLimit].ToInt32(),
        Tags = Tags(d),
        Timeout = Duration(d, F.Timeout),
        UniqueKey = Text(d, F.UniqueKey),
        IdempotencyKey = Text(d, F.IdempotencyKey),
        ConcurrencyKey = Text(d, F.ConcurrencyKey),
        BatchId = Batch(d, F.BatchId),
        TraceParent = Text(d, F.TraceParent),
        OccurrenceAt = NullableInstant(d, F.OccurrenceAt),
    };

    public static JobRecord ToRecord(BsonDocument d) => new()
    {
        Id = new JobId(d[F.Id].ToInt64()),
        Name = d[F.Name].AsString,
        Queue = d[F.Queue].AsString,
        Payload = Bytes(d, F.Payload),
        State = (JobState)d[F.State].ToInt32(),
        Priority = d[F.Priority].ToInt32(),
        RunAt = Instant(d, F.RunAt),
        CreatedAt = Instant(d, F.CreatedAt),
        Attempts = d[F.Attempts].ToInt32(),
        MaxAttempts = d[F.MaxAttempts].ToInt32(),
        Timeout = Duration(d, F.Timeout),
        UniqueKey = Text(d, F.UniqueKey),
        IdempotencyKey = Text(d, F.IdempotencyKey),
        ConcurrencyKey = Text(d, F.ConcurrencyKey),
        ConcurrencyLimit = d.TryGetValue(F.ConcurrencyLimit, out var limit) ? limit.ToInt32() : 1,
        Tags = Tags(d),
        BatchId = Batch(d, F.BatchId),
        Owner = Text(d, F.Owner),
        LeaseToken = d[F.LeaseToken].ToInt64(),
        LeaseExpiresAt = NullableInstant(d, F.LeaseExpiresAt),
        CancellationRequested = d.TryGetValue(F.CancelRequested, out var cancel) && cancel.ToBoolean(),
        ProgressPercent = d.TryGetValue(F.ProgressPercent, out var percent) && !percent.IsBsonNull ? percent.ToInt32() : null,
        ProgressMessage = Text(d, F.ProgressMessage),
        Result = d.TryGetValue(F.Result, out var result) && result.IsBsonBinaryData ? new ReadOnlyMemory<byte>(result.AsByteArray) : null,
        LastError = Error(d),
        FinishedAt = NullableInstant(d, F.FinishedAt),
        TraceParent = Text(d, F.TraceParent),
        FirstStartedAt = NullableInstant(d, F.FirstStartedAt),
        LastStartedAt = NullableInstant(d, F.LastStartedAt),
        OccurrenceAt = NullableInstant(d, F.OccurrenceAt),
        ContinuationOf = Batch(d, F.ContinuationOf),
    };

    public static ClaimedJob ToClaimed(BsonDocument d) => new()
    {
        Id = new JobId(d[F.Id].ToInt64()),
        Name = d[F.Name].AsString,
        Queue = d[F.Queue].AsString,
        Payload = Bytes(d, F.Payload),
        Attempt = d[F.Attempts].ToInt32(),
        MaxAttempts = d[F.MaxAttempts].ToInt32(),
        Timeout = Duration(d, F.Timeout),
        LeaseToken = d[F.LeaseToken].ToInt64(),
        LeaseExpiresAt = Instant(d, F.LeaseExpiresAt),
        RunAt = Instant(d, F.RunAt),
        CreatedAt = Instant(d, F.CreatedAt),
        ConcurrencyKey = Text(d, F.ConcurrencyKey),
        Tags = Tags(d),
        BatchId = Batch(d, F.BatchId),
        TraceParent = Text(d, F.TraceParent),
        OccurrenceAt = NullableInstant(d, F.OccurrenceAt),
        ContinuationOf = Batch(d, F.ContinuationOf),
    };

    public static BsonBinaryData Uuid(Guid value) => new(value, GuidRepresentation.Standard);

    public static DateTimeOffset Instant(BsonDocument d, string field) => new(d[field].ToInt64(), TimeSpan.Zero);

    public static DateTimeOffset? NullableInstant(BsonDocument d, string field) =>
        d.TryGetValue(field, out var value) && !value.IsBsonNull ? new DateTimeOffset(value.ToInt64(), TimeSpan.Zero) : null;

    public static string? Text(BsonDocument d, string field) =>
        d.TryGetValue(field, out var value) && value.IsString ? value.AsString : null;

    public static BatchId? Batch(BsonDocument d, string field) =>
        d.TryGetValue(field, out var value) && value is BsonBinaryData binary ? new BatchId(binary.ToGuid(GuidRepresentation.Standard)) : null;

    private static void AddIfSet(BsonDocument document, string field, string? value)
    {
        if (value is not null)
        {
            document.Add(field, value);
        }
    }

    private static void AddIfSet(BsonDocument document, string field, long? value)
    {
        if (value is { } v)
        {
            document.Add(field, v);
        }
    }

    private static void AddIfSet(BsonDocument document, string field, Guid? value)
    {
        if (value is { } v)
        {
            document.Add(field, Uuid(v));
        }
    }

    private static ReadOnlyMemory<byte> Bytes(BsonDocument d, string field) =>
        d.TryGetValue(field, out var value) && value.IsBsonBinaryData ? value.AsByteArray : ReadOnlyMemory<byte>.Empty;

    private static TimeSpan? Duration(BsonDocument d, string field) =>
        d.TryGetValue(field, out var value) && !value.IsBsonNull ? TimeSpan.FromTicks(value.ToInt64()) : null;

    private static string[] Tags(BsonDocument d) =>
        d.TryGetValue(F.Tags, out var value) && value.IsBsonArray ? [.. value.AsBsonArray.Select(t => t.AsString)] : [];

    private static JobError? Error(BsonDocument d) =>
        d.TryGetValue(F.Error, out var value) && value is BsonDocument error
            ? new JobError(error[F.ErrorType].AsString, error[F.ErrorMessage].AsString, Text(error, F.ErrorStack))
            : null;
}
