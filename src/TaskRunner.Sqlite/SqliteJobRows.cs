using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>
/// Every mapping between jobs and columns, each beside the column list it reads or binds so order and ordinals are
/// written once: a <see cref="JobRecord"/> row, a <see cref="ClaimedJob"/> (the claim's RETURNING), the counts by state,
/// and the one <see cref="NewJob"/> → columns mapping used by enqueue, batch creation (a continuation waits in the
/// batches table's <c>c_</c> columns) and the continuation's own insert.
/// </summary>
internal static class SqliteJobRows
{
    /// <summary>The record columns, in the order <see cref="ReadRecord"/> reads them.</summary>
    public const string RecordColumns =
        "id, name, queue, payload, state, priority, run_at, created_at, attempts, max_attempts, timeout, unique_key, idempotency_key, " +
        "concurrency_key, tags, batch_id, owner, lease_token, lease_expires_at, cancel_requested, progress_percent, progress_message, " +
        "result, error_type, error_message, error_stack, finished_at, trace_parent, first_started_at, last_started_at, occurrence_at, continuation_of, concurrency_limit";

    /// <summary>The claim's RETURNING columns, in the order <see cref="ReadClaimed"/> reads them.</summary>
    public const string ClaimedColumns =
        "id, name, queue, payload, attempts, max_attempts, timeout, lease_token, lease_expires_at, run_at, created_at, " +
        "concurrency_key, tags, batch_id, trace_parent, priority, occurrence_at, continuation_of";

    /// <summary>The columns a <see cref="NewJob"/> fills, in the order <see cref="BindNewJob"/> binds them (<c>?1</c>..)
    /// and <see cref="ReadNewJob"/> reads them. <see cref="NewJob.DebounceMaxDelay"/> has none: it only steers the enqueue.</summary>
    private static readonly string[] NewJobColumnNames =
    [
        "name", "queue", "payload", "priority", "run_at", "max_attempts", "timeout", "unique_key", "idempotency_key",
        "concurrency_key", "tags", "batch_id", "trace_parent", "occurrence_at", "concurrency_limit",
    ];

    /// <summary>How many positional parameters <see cref="BindNewJob"/> binds; a statement's own follow from this + 1.</summary>
    public static int NewJobColumnCount => NewJobColumnNames.Length;

    /// <summary>The <see cref="NewJob"/> columns as an SQL list, each name prefixed (<c>c_</c> in the batches table).</summary>
    public static string NewJobColumns(string prefix) => string.Join(", ", NewJobColumnNames.Select(name => prefix + name));

    /// <summary>The positional parameters <c>?1</c>.. for the <see cref="NewJob"/> columns and <paramref name="more"/> after them.</summary>
    public static string NewJobParameters(int more) =>
        string.Join(", ", Enumerable.Range(1, NewJobColumnCount + more).Select(position => "?" + position.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Binds <paramref name="job"/>'s columns to <c>?1</c>..<c>?N</c>, or NULL to all of them when there is no job.</summary>
    public static void BindNewJob(SqliteRawStatement statement, NewJob? job)
    {
        if (job is null)
        {
            for (var position = 1; position <= NewJobColumnCount; position++)
            {
                statement.Bind(position, (long?)null);
            }

            return;
        }

        Span<byte> batchId = stackalloc byte[16];
        var hasBatch = job.BatchId is { } batch && batch.Value.TryWriteBytes(batchId);

        // Positions follow NewJobColumnNames.
        statement.Bind(1, job.Name);
        statement.Bind(2, job.Queue);
        statement.Bind(3, job.Payload.Span);
        statement.Bind(4, job.Priority);
        statement.Bind(5, job.RunAt.UtcTicks);
        statement.Bind(6, job.MaxAttempts);
        statement.Bind(7, job.Timeout?.Ticks);
        statement.Bind(8, job.UniqueKey);
        statement.Bind(9, job.IdempotencyKey);
        statement.Bind(10, job.ConcurrencyKey);
        statement.Bind(11, SqliteValues.Tags(job.Tags));
        statement.Bind(12, batchId, isNull: !hasBatch);
        statement.Bind(13, job.TraceParent);
        statement.Bind(14, job.OccurrenceAt?.UtcTicks);
        statement.Bind(15, job.ConcurrencyLimit);
    }

    /// <summary>Reads the <see cref="NewJob"/> columns starting at <paramref name="first"/> (a continuation from the batches table).</summary>
    public static NewJob ReadNewJob(SqliteDataReader reader, int first) => new()
    {
        Name = reader.GetString(first),
        Queue = reader.GetString(first + 1),
        Payload = SqliteValues.Bytes(reader, first + 2),
        Priority = reader.GetInt32(first + 3),
        RunAt = SqliteValues.Instant(reader, first + 4),
        MaxAttempts = reader.GetInt32(first + 5),
        Timeout = SqliteValues.Duration(reader, first + 6),
        UniqueKey = SqliteValues.Text(reader, first + 7),
        IdempotencyKey = SqliteValues.Text(reader, first + 8),
        ConcurrencyKey = SqliteValues.Text(reader, first + 9),
        Tags = SqliteValues.Tags(reader, first + 10),
        BatchId = SqliteValues.Batch(reader, first + 11),
        TraceParent = SqliteValues.Text(reader, first + 12),
        OccurrenceAt = SqliteValues.NullableInstant(reader, first + 13),

        // Batches stored before migration 3 added the column have no limit: one at a time, as then.
        ConcurrencyLimit = reader.IsDBNull(first + 14) ? 1 : reader.GetInt32(first + 14),
    };

    /// <summary>Reads a row of <see cref="RecordColumns"/>.</summary>
    public static JobRecord ReadRecord(SqliteDataReader reader) => new()
    {
        Id = new JobId(reader.GetInt64(0)),
        Name = reader.GetString(1),
        Queue = reader.GetString(2),
        Payload = SqliteValues.Bytes(reader, 3),
        State = (JobState)reader.GetInt32(4),
        Priority = reader.GetInt32(5),
        RunAt = SqliteValues.Instant(reader, 6),
        CreatedAt = SqliteValues.Instant(reader, 7),
        Attempts = reader.GetInt32(8),
        MaxAttempts = reader.GetInt32(9),
        Timeout = SqliteValues.Duration(reader, 10),
        UniqueKey = SqliteValues.Text(reader, 11),
        IdempotencyKey = SqliteValues.Text(reader, 12),
        ConcurrencyKey = SqliteValues.Text(reader, 13),
        Tags = SqliteValues.Tags(reader, 14),
        BatchId = SqliteValues.Batch(reader, 15),
        Owner = SqliteValues.Text(reader, 16),
        LeaseToken = reader.GetInt64(17),
        LeaseExpiresAt = SqliteValues.NullableInstant(reader, 18),
        CancellationRequested = reader.GetInt64(19) != 0,
        ProgressPercent = reader.IsDBNull(20) ? null : reader.GetInt32(20),
        ProgressMessage = SqliteValues.Text(reader, 21),
        Result = SqliteValues.NullableBytes(reader, 22) is { } result ? new ReadOnlyMemory<byte>(result) : (ReadOnlyMemory<byte>?)null,
        LastError = SqliteValues.Error(reader, 23),
        FinishedAt = SqliteValues.NullableInstant(reader, 26),
        TraceParent = SqliteValues.Text(reader, 27),
        FirstStartedAt = SqliteValues.NullableInstant(reader, 28),
        LastStartedAt = SqliteValues.NullableInstant(reader, 29),
        OccurrenceAt = SqliteValues.NullableInstant(reader, 30),
        ContinuationOf = SqliteValues.Batch(reader, 31),
        ConcurrencyLimit = reader.GetInt32(32),
    };

    /// <summary>Reads a row of <see cref="ClaimedColumns"/>, with its priority (the claim order's first key, which
    /// <see cref="ClaimedJob"/> does not carry).</summary>
    public static (int Priority, ClaimedJob Job) ReadClaimed(SqliteDataReader reader) => (reader.GetInt32(15), new ClaimedJob
    {
        Id = new JobId(reader.GetInt64(0)),
        Name = reader.GetString(1),
        Queue = reader.GetString(2),
        Payload = SqliteValues.Bytes(reader, 3),
        Attempt = reader.GetInt32(4),
        MaxAttempts = reader.GetInt32(5),
        Timeout = SqliteValues.Duration(reader, 6),
        LeaseToken = reader.GetInt64(7),
        LeaseExpiresAt = SqliteValues.Instant(reader, 8),
        RunAt = SqliteValues.Instant(reader, 9),
        CreatedAt = SqliteValues.Instant(reader, 10),
        ConcurrencyKey = SqliteValues.Text(reader, 11),
        Tags = SqliteValues.Tags(reader, 12),
        BatchId = SqliteValues.Batch(reader, 13),
        TraceParent = SqliteValues.Text(reader, 14),
        OccurrenceAt = SqliteValues.NullableInstant(reader, 16),
        ContinuationOf = SqliteValues.Batch(reader, 17),
    });

    /// <summary>Runs a <c>SELECT state, count(*) ... GROUP BY state</c> and reads it into counts.</summary>
    public static JobCounts ReadCounts(SqliteCommand command)
    {
        Span<long> counts = stackalloc long[(int)JobState.Cancelled + 1];
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var state = reader.GetInt32(0);
                if ((uint)state < (uint)counts.Length)
                {
                    counts[state] = reader.GetInt64(1);
                }
            }
        }

        return JobCounts.FromCountsByState(counts);
    }
}
