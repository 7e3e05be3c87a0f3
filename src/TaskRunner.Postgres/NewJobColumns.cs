using Npgsql;
using NpgsqlTypes;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The one mapping of <see cref="NewJob"/>s to the jobs table's columns, as parameter arrays (one element per
/// job): the bulk insert sends them to <c>unnest</c>, a batch's continuation stores element 0 in the batch row.</summary>
internal sealed class NewJobColumns
{
    public NewJobColumns(IReadOnlyList<NewJob> jobs, IReadOnlyList<int>? indexes, DateTimeOffset now, Guid? continuationOf)
    {
        var n = indexes?.Count ?? jobs.Count;
        Names = new string[n];
        Queues = new string[n];
        Payloads = new byte[n][];
        States = new short[n];
        Priorities = new int[n];
        RunAts = new long[n];
        MaxAttempts = new int[n];
        Timeouts = new long?[n];
        UniqueKeys = new string?[n];
        IdempotencyKeys = new string?[n];
        ConcurrencyKeys = new string?[n];
        Tags = new string?[n];
        BatchIds = new Guid?[n];
        TraceParents = new string?[n];
        OccurrenceAts = new long?[n];
        ContinuationOfs = new Guid?[n];
        ConcurrencyLimits = new int[n];
        for (var i = 0; i < n; i++)
        {
            var job = jobs[indexes?[i] ?? i];
            Names[i] = job.Name;
            Queues[i] = job.Queue;
            Payloads[i] = V.ToArray(job.Payload);
            States[i] = (short)(job.RunAt <= now ? JobState.Pending : JobState.Scheduled);
            Priorities[i] = job.Priority;
            RunAts[i] = job.RunAt.UtcTicks;
            MaxAttempts[i] = job.MaxAttempts;
            Timeouts[i] = job.Timeout?.Ticks;
            UniqueKeys[i] = job.UniqueKey;
            IdempotencyKeys[i] = job.IdempotencyKey;
            ConcurrencyKeys[i] = job.ConcurrencyKey;
            Tags[i] = V.Tags(job.Tags);
            BatchIds[i] = job.BatchId?.Value;
            TraceParents[i] = job.TraceParent;
            OccurrenceAts[i] = job.OccurrenceAt?.UtcTicks;
            ContinuationOfs[i] = continuationOf;
            ConcurrencyLimits[i] = job.ConcurrencyLimit;
        }
    }

    public string[] Names { get; }
    public string[] Queues { get; }
    public byte[][] Payloads { get; }
    public short[] States { get; }
    public int[] Priorities { get; }
    public long[] RunAts { get; }
    public int[] MaxAttempts { get; }
    public long?[] Timeouts { get; }
    public string?[] UniqueKeys { get; }
    public string?[] IdempotencyKeys { get; }
    public string?[] ConcurrencyKeys { get; }
    public string?[] Tags { get; }
    public Guid?[] BatchIds { get; }
    public string?[] TraceParents { get; }
    public long?[] OccurrenceAts { get; }
    public Guid?[] ContinuationOfs { get; }
    public int[] ConcurrencyLimits { get; }

    /// <summary>The parameters of <see cref="PostgresSql.Insert"/>, in its order ($15 is the creation time).</summary>
    public NpgsqlParameter[] InsertParameters(DateTimeOffset now) =>
    [
        V.Array(Names, NpgsqlDbType.Text), V.Array(Queues, NpgsqlDbType.Text), V.Array(Payloads, NpgsqlDbType.Bytea), V.Array(States, NpgsqlDbType.Smallint),
        V.Array(Priorities, NpgsqlDbType.Integer), V.Array(RunAts, NpgsqlDbType.Bigint), V.Array(MaxAttempts, NpgsqlDbType.Integer),
        V.Array(Timeouts, NpgsqlDbType.Bigint), V.Array(UniqueKeys, NpgsqlDbType.Text), V.Array(IdempotencyKeys, NpgsqlDbType.Text),
        V.Array(ConcurrencyKeys, NpgsqlDbType.Text), V.Array(Tags, NpgsqlDbType.Text), V.Array(BatchIds, NpgsqlDbType.Uuid),
        V.Array(TraceParents, NpgsqlDbType.Text), V.Ticks(now), V.Array(OccurrenceAts, NpgsqlDbType.Bigint),
        V.Array(ContinuationOfs, NpgsqlDbType.Uuid), V.Array(ConcurrencyLimits, NpgsqlDbType.Integer),
    ];

    /// <summary>The continuation columns of <see cref="PostgresSql.InsertBatch"/> ($4 to $18) for the job at
    /// <paramref name="i"/>, or all NULL for none.</summary>
    public static NpgsqlParameter[] ContinuationParameters(NewJobColumns? c, int i = 0) =>
    [
        V.Text(c?.Names[i]), V.Text(c?.Queues[i]), c is null ? V.Bytes(null) : V.Bytes(c.Payloads[i]), V.Int(c?.Priorities[i]), V.Long(c?.RunAts[i]), V.Int(c?.MaxAttempts[i]),
        V.Long(c?.Timeouts[i]), V.Text(c?.UniqueKeys[i]), V.Text(c?.IdempotencyKeys[i]), V.Text(c?.ConcurrencyKeys[i]), V.Text(c?.Tags[i]),
        V.Uuid(c?.BatchIds[i]), V.Text(c?.TraceParents[i]), V.Long(c?.OccurrenceAts[i]), V.Int(c?.ConcurrencyLimits[i]),
    ];
}
