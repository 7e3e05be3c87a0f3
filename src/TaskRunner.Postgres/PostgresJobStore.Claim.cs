using Npgsql;
using NpgsqlTypes;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>The job store's claim: promotion of due jobs and the <c>SKIP LOCKED</c> claim in one round trip.</summary>
internal sealed partial class PostgresJobStore
{
    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        if (request.QueueLimit is <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        return _database.RunAsync((request, names: NamesArray(request.JobNames), sql: _database.Sql, durable: _database.DurableClaims), static async (connection, state, ct) =>
        {
            var (request, names, sql, durable) = state;

            // The queue's lock (with a queue limit), promotion and the claim go in one round trip; as one implicit
            // transaction the claim sees the promoted rows, and the lock is held until the claim commits. Each statement
            // takes its own snapshot (READ COMMITTED), so the claim's is taken after the lock was granted. The lock comes
            // first so that a claimer waiting for it holds no promoted rows meanwhile.
            var batch = new NpgsqlBatch(connection);
            await using var batchScope = batch.ConfigureAwait(false);
            var resultsBeforeClaim = 0;
#pragma warning disable CA2100 // Statement texts come from PostgresSql.
            if (!durable)
            {
                // For this implicit transaction only (PostgresStoreOptions.DurableClaims says why it is safe).
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.AsynchronousCommit));
                resultsBeforeClaim++;
            }

            if (request.QueueLimit is not null)
            {
                var queueLock = new NpgsqlBatchCommand(sql.QueueLock);
                queueLock.Parameters.Add(V.Text(sql.QueueLockKey + request.Queue));
                batch.BatchCommands.Add(queueLock);
                resultsBeforeClaim++;
            }

            var promote = new NpgsqlBatchCommand(sql.Promote);
            promote.Parameters.Add(V.Ticks(request.Now));
            promote.Parameters.Add(V.Int(PromoteLimit));
            batch.BatchCommands.Add(promote);
            var claim = new NpgsqlBatchCommand(sql.Claim);
#pragma warning restore CA2100
            claim.Parameters.Add(V.Text(request.Queue));
            claim.Parameters.Add(V.Int(request.MaxCount));
            claim.Parameters.Add(V.Text(request.Owner));
            claim.Parameters.Add(V.Ticks(request.Now + request.LeaseDuration));
            claim.Parameters.Add(V.Ticks(request.Now));
            claim.Parameters.Add(names is null ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = DBNull.Value } : V.Array(names, NpgsqlDbType.Text));
            claim.Parameters.Add(V.Int(request.QueueLimit));
            batch.BatchCommands.Add(claim);

            var jobs = new List<ClaimedJob>(Math.Min(request.MaxCount, 256));
            var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            for (var i = 0; i < resultsBeforeClaim; i++)
            {
                // The setting's and the lock's own one-row results come first: the claimed rows are the last result.
                await reader.NextResultAsync(ct).ConfigureAwait(false);
            }

            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                jobs.Add(new ClaimedJob
                {
                    Id = new JobId(reader.GetInt64(0)),
                    Name = reader.GetString(1),
                    Queue = reader.GetString(2),
                    Payload = V.Bytes(reader, 3),
                    Attempt = reader.GetInt32(4),
                    MaxAttempts = reader.GetInt32(5),
                    Timeout = V.Duration(reader, 6),
                    LeaseToken = reader.GetInt64(7),
                    LeaseExpiresAt = V.Instant(reader, 8),
                    RunAt = V.Instant(reader, 9),
                    CreatedAt = V.Instant(reader, 10),
                    ConcurrencyKey = V.NullableText(reader, 11),
                    Tags = V.Tags(reader, 12),
                    BatchId = V.Batch(reader, 13),
                    TraceParent = V.NullableText(reader, 14),
                    OccurrenceAt = V.NullableInstant(reader, 16),
                    ContinuationOf = V.Batch(reader, 17),
                });
            }

            return (IReadOnlyList<ClaimedJob>)jobs;
        }, cancellationToken);
    }

    /// <summary>The names to claim as a parameter array (an empty set claims nothing: an empty array, not the NULL that
    /// means any name), cached for the set instance the engine passes on every claim.</summary>
    private string[]? NamesArray(IReadOnlyCollection<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        var cached = _names;
        if (cached is not null && ReferenceEquals(cached.Names, names))
        {
            return cached.Array;
        }

        string[] array = [.. names];
        _names = new NamesCache(names, array);
        return array;
    }

    private sealed record NamesCache(IReadOnlyCollection<string> Names, string[] Array);
}
