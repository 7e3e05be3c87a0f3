using Npgsql;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The job store's administration and queries: cancel, requeue, purge, reads and counts.</summary>
internal sealed partial class PostgresJobStore
{
    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunInTransactionAsync((id, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (id, now, sql) = state;
            JobState jobState;
            Guid? batchId;
            var read = Command(connection, sql.LockJob, V.Long(id.Value));
            await using var readScope = read.ConfigureAwait(false);
            var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return CancelResult.NotFound;
                }

                jobState = (JobState)reader.GetInt16(0);
                batchId = reader.IsDBNull(1) ? null : reader.GetGuid(1);
            }

            switch (jobState)
            {
                case JobState.Scheduled or JobState.Pending or JobState.Failed:
                    var cancel = Command(connection, sql.CancelWaiting, V.Long(id.Value), V.Ticks(now));
                    await using (cancel.ConfigureAwait(false))
                    {
                        await cancel.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    if (batchId is { } batch)
                    {
                        await TryEnqueueContinuationsAsync(connection, sql, [batch], now, ct).ConfigureAwait(false);
                    }

                    return CancelResult.Cancelled;
                case JobState.Running:
                    var request = Command(connection, sql.RequestCancel, V.Long(id.Value));
                    await using (request.ConfigureAwait(false))
                    {
                        await request.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    return CancelResult.CancellationRequested;
                default:
                    return CancelResult.AlreadyFinished;
            }
        }, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            try
            {
                var command = Command(connection, state.sql.Requeue, V.Long(state.id.Value), V.Ticks(state.now));
                await using var commandScope = command.ConfigureAwait(false);
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another job took the unique key between the check and the update: the dead letter stays.
                return false;
            }
        }, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ThrowIfInvalid();

        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult(0);
        }

        return _database.RunAsync((request, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Purge,
                V.SmallInt((short)state.request.State), V.Ticks(state.request.FinishedBefore), V.Int(state.request.MaxCount));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Get, V.Long(state.id.Value));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadRecord(reader) : null;
        }, cancellationToken);

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        _database.RunAsync((queue, sql: _database.Sql), static (connection, state, ct) => ReadCountsAsync(state.queue is null
            ? Command(connection, state.sql.CountAll)
            : Command(connection, state.sql.CountQueue, V.Text(state.queue)), ct), cancellationToken);

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Batch, V.Uuid(state.id.Value));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var counts = new long[7];
            var found = false;
            JobId? continuationId = null;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                found = true;
                continuationId = reader.IsDBNull(0) ? null : new JobId(reader.GetInt64(0));
                if (!reader.IsDBNull(1) && reader.GetInt16(1) is var jobState && (uint)jobState < (uint)counts.Length)
                {
                    counts[jobState] = reader.GetInt64(2);
                }
            }

            return found ? new BatchStatus { Id = state.id, Counts = JobCounts.FromCountsByState(counts), ContinuationId = continuationId } : null;
        }, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync((now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.NextRunAt, V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            var value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return value is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The PostgreSQL job store does not declare JobStoreCapabilities.ChangeVersion.");

    private static JobRecord ReadRecord(NpgsqlDataReader reader) => new()
    {
        Id = new JobId(reader.GetInt64(0)),
        Name = reader.GetString(1),
        Queue = reader.GetString(2),
        Payload = V.Bytes(reader, 3),
        State = (JobState)reader.GetInt16(4),
        Priority = reader.GetInt32(5),
        RunAt = V.Instant(reader, 6),
        CreatedAt = V.Instant(reader, 7),
        Attempts = reader.GetInt32(8),
        MaxAttempts = reader.GetInt32(9),
        Timeout = V.Duration(reader, 10),
        UniqueKey = V.NullableText(reader, 11),
        IdempotencyKey = V.NullableText(reader, 12),
        ConcurrencyKey = V.NullableText(reader, 13),
        Tags = V.Tags(reader, 14),
        BatchId = V.Batch(reader, 15),
        Owner = V.NullableText(reader, 16),
        LeaseToken = reader.GetInt64(17),
        LeaseExpiresAt = V.NullableInstant(reader, 18),
        CancellationRequested = reader.GetBoolean(19),
        ProgressPercent = reader.IsDBNull(20) ? null : reader.GetInt32(20),
        ProgressMessage = V.NullableText(reader, 21),
        Result = V.NullableBytes(reader, 22) is { } result ? new ReadOnlyMemory<byte>(result) : (ReadOnlyMemory<byte>?)null,
        LastError = V.Error(reader, 23),
        FinishedAt = V.NullableInstant(reader, 26),
        TraceParent = V.NullableText(reader, 27),
        FirstStartedAt = V.NullableInstant(reader, 28),
        LastStartedAt = V.NullableInstant(reader, 29),
        OccurrenceAt = V.NullableInstant(reader, 30),
        ContinuationOf = V.Batch(reader, 31),
        ConcurrencyLimit = reader.GetInt32(32),
    };
}
