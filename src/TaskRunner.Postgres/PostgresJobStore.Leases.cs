using Npgsql;
using NpgsqlTypes;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The job store's leases: heartbeats, batched completions, progress and stale recovery, each compare-and-swap on the
/// lease token.</summary>
internal sealed partial class PostgresJobStore
{
    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Leases.Count == 0)
        {
            return ValueTask.FromResult(HeartbeatResult.AllHeld);
        }

        return _database.RunAsync((leases: request.Leases, leaseExpiresAt: request.LeaseExpiresAt, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var ids = new long[state.leases.Count];
            var tokens = new long[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = state.leases[i].Id.Value;
                tokens[i] = state.leases[i].LeaseToken;
            }

            var held = new HashSet<long>(ids.Length);
            List<JobId>? cancel = null;
            var command = Command(connection, state.sql.Heartbeat, V.Ticks(state.leaseExpiresAt), V.Array(ids, NpgsqlDbType.Bigint), V.Array(tokens, NpgsqlDbType.Bigint), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    held.Add(reader.GetInt64(0));
                    if (reader.GetBoolean(1))
                    {
                        (cancel ??= []).Add(new JobId(reader.GetInt64(0)));
                    }
                }
            }

            return HeartbeatResult.Of(state.leases, held, cancel);
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Completions.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JobId>>([]);
        }

        return _database.RunInTransactionAsync((completions: request.Completions, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (completions, now, sql) = state;
            var count = completions.Count;
            var ids = new long[count];
            var tokens = new long[count];
            var outcomes = new short[count];
            var results = new byte[]?[count];
            var retryAts = new long?[count];
            var errorTypes = new string?[count];
            var errorMessages = new string?[count];
            var errorStacks = new string?[count];
            for (var i = 0; i < count; i++)
            {
                var completion = completions[i];
                if (completion.Outcome is < JobOutcome.Succeeded or > JobOutcome.Released)
                {
                    throw new ArgumentOutOfRangeException(nameof(request), completion.Outcome, "Unknown job outcome.");
                }

                ids[i] = completion.Id.Value;
                tokens[i] = completion.LeaseToken;
                outcomes[i] = (short)completion.Outcome;
                results[i] = completion.Result is { } result ? V.ToArray(result) : null;
                retryAts[i] = completion.Outcome == JobOutcome.Failed ? (completion.RetryAt ?? now).UtcTicks : null;
                errorTypes[i] = completion.Error?.Type;
                errorMessages[i] = completion.Error?.Message;
                errorStacks[i] = completion.Error?.StackTrace;
            }

            var applied = new HashSet<long>(count);
            List<Guid>? batches = null;
            var command = Command(connection, sql.Complete,
                V.Array(ids, NpgsqlDbType.Bigint), V.Array(tokens, NpgsqlDbType.Bigint), V.Array(outcomes, NpgsqlDbType.Smallint),
                V.Array(results, NpgsqlDbType.Bytea), V.Array(retryAts, NpgsqlDbType.Bigint), V.Array(errorTypes, NpgsqlDbType.Text),
                V.Array(errorMessages, NpgsqlDbType.Text), V.Array(errorStacks, NpgsqlDbType.Text), V.Ticks(now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt64(0));
                    if (!reader.IsDBNull(1))
                    {
                        (batches ??= []).Add(reader.GetGuid(1));
                    }
                }
            }

            if (batches is not null)
            {
                await TryEnqueueContinuationsAsync(connection, sql, batches, now, ct).ConfigureAwait(false);
            }

            if (applied.Count == count)
            {
                return (IReadOnlyList<JobId>)[];
            }

            var rejected = new List<JobId>();
            foreach (var completion in completions)
            {
                if (!applied.Contains(completion.Id.Value))
                {
                    rejected.Add(completion.Id);
                }
            }

            return rejected;
        }, cancellationToken);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        return _database.RunAsync((lease: request.Lease, percent: request.Percent, message: request.Message, now: request.Now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.Progress, V.Int(state.percent), V.Text(state.message), V.Long(state.lease.Id.Value), V.Long(state.lease.LeaseToken), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        if (maxCount <= 0)
        {
            return ValueTask.FromResult(default(RecoveryResult));
        }

        return _database.RunInTransactionAsync((now, maxCount, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var requeued = 0;
            var deadLettered = 0;
            List<Guid>? batches = null;
            var command = Command(connection, state.sql.Recover, V.Ticks(state.now), V.Int(state.maxCount));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    if (reader.GetInt16(0) == (short)JobState.DeadLettered)
                    {
                        deadLettered++;
                    }
                    else
                    {
                        requeued++;
                    }

                    if (!reader.IsDBNull(1))
                    {
                        (batches ??= []).Add(reader.GetGuid(1));
                    }
                }
            }

            if (batches is not null)
            {
                await TryEnqueueContinuationsAsync(connection, state.sql, batches, state.now, ct).ConfigureAwait(false);
            }

            return new RecoveryResult(requeued, deadLettered);
        }, cancellationToken);
    }
}
