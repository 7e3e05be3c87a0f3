using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>Leases: heartbeat, completion, progress and recovery, each a compare-and-swap on the lease token.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Leases.Count == 0)
        {
            return ValueTask.FromResult(HeartbeatResult.AllHeld);
        }

        return _database.WriteAsync((leases: request.Leases, leaseExpiresAt: request.LeaseExpiresAt, now: request.Now), static (session, state) =>
        {
            var command = session.Command(SqliteJobSql.Heartbeat, "@lease_expires_at", "@leases", "@now");
            command.Set(0, SqliteValues.Ticks(state.leaseExpiresAt));
            command.Set(2, SqliteValues.Ticks(state.now));
            var leases = new StringBuilder(state.leases.Count * 24).Append('[');
            foreach (var lease in state.leases)
            {
                AppendLease(leases, lease.Id, lease.LeaseToken);
            }

            command.Set(1, leases.Append(']').ToString());
            var held = new HashSet<long>(state.leases.Count);
            List<JobId>? cancel = null;
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    held.Add(reader.GetInt64(0));
                    if (reader.GetInt64(1) != 0)
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

        return _database.WriteAsync((completions: request.Completions, now: request.Now), static (session, state) =>
        {
            var now = SqliteValues.Ticks(state.now);
            List<JobId>? rejected = null;
            List<byte[]>? batches = null;
            var plain = CompletePlainSuccesses(session, state.completions, now, ref rejected, ref batches);
            foreach (var completion in state.completions)
            {
                if (plain && IsPlainSuccess(completion))
                {
                    continue;
                }

                SqliteCommand command;
                switch (completion.Outcome)
                {
                    case JobOutcome.Succeeded:
                        command = session.Command(SqliteJobSql.Succeed, "@id", "@token", "@result", "@now");
                        command.Set(2, completion.Result is { } result ? SqliteValues.Blob(result) : null);
                        command.Set(3, now);
                        break;
                    case JobOutcome.Failed:
                        command = session.Command(SqliteJobSql.Fail, "@id", "@token", "@retry_at", "@error_type", "@error_message", "@error_stack", "@now");
                        command.Set(2, SqliteValues.Ticks(completion.RetryAt ?? state.now));
                        SetError(command, 3, completion.Error);
                        command.Set(6, now);
                        break;
                    case JobOutcome.DeadLettered:
                    case JobOutcome.Cancelled:
                        command = session.Command(SqliteJobSql.Finish, "@id", "@token", "@state", "@error_type", "@error_message", "@error_stack", "@now");
                        command.Set(2, completion.Outcome == JobOutcome.DeadLettered ? (int)JobState.DeadLettered : (int)JobState.Cancelled);
                        SetError(command, 3, completion.Error);
                        command.Set(6, now);
                        break;
                    case JobOutcome.Released:
                        command = session.Command(SqliteJobSql.Release, "@id", "@token", "@now");
                        command.Set(2, now);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(request), completion.Outcome, "Unknown job outcome.");
                }

                command.Set(0, completion.Id.Value);
                command.Set(1, completion.LeaseToken);
                using var reader = command.ExecuteReader();
                if (!reader.Read())
                {
                    (rejected ??= []).Add(completion.Id);
                }
                else if (!reader.IsDBNull(0) && completion.Outcome is not JobOutcome.Failed and not JobOutcome.Released)
                {
                    (batches ??= []).Add((byte[])reader.GetValue(0));
                }
            }

            if (batches is not null)
            {
                SqliteBatches.TryEnqueueContinuations(session, batches, state.now);
            }

            return rejected is null ? (IReadOnlyList<JobId>)[] : rejected;
        }, cancellationToken);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        return _database.WriteAsync((lease: request.Lease, percent: request.Percent, message: request.Message, now: request.Now), static (session, state) =>
        {
            var command = session.Command(SqliteJobSql.Progress, "@percent", "@message", "@id", "@token", "@now");
            command.Set(4, SqliteValues.Ticks(state.now));
            command.Set(0, state.percent);
            command.Set(1, state.message);
            command.Set(2, state.lease.Id.Value);
            command.Set(3, state.lease.LeaseToken);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        if (maxCount <= 0)
        {
            return ValueTask.FromResult(default(RecoveryResult));
        }

        return _database.WriteAsync((now, maxCount), static (session, state) =>
        {
            var now = SqliteValues.Ticks(state.now);
            var dead = session.Command(SqliteJobSql.RecoverDead, "@now", "@limit");
            dead.Set(0, now);
            dead.Set(1, state.maxCount);
            var deadLettered = 0;
            List<byte[]>? batches = null;
            using (var reader = dead.ExecuteReader())
            {
                while (reader.Read())
                {
                    deadLettered++;
                    if (!reader.IsDBNull(0))
                    {
                        (batches ??= []).Add((byte[])reader.GetValue(0));
                    }
                }
            }

            var pending = session.Command(SqliteJobSql.RecoverPending, "@now", "@limit");
            pending.Set(0, now);
            pending.Set(1, state.maxCount - deadLettered);
            var requeued = deadLettered < state.maxCount ? pending.ExecuteNonQuery() : 0;

            if (batches is not null)
            {
                SqliteBatches.TryEnqueueContinuations(session, batches, state.now);
            }

            return new RecoveryResult(requeued, deadLettered);
        }, cancellationToken);
    }

    private static bool IsPlainSuccess(JobCompletion completion) => completion is { Outcome: JobOutcome.Succeeded, Result: null };

    /// <summary>Applies every success without a result payload in one statement, when there are at least two.</summary>
    /// <returns>Whether it did (else the caller applies them one by one).</returns>
    private static bool CompletePlainSuccesses(SqliteSession session, IReadOnlyList<JobCompletion> completions, object now, ref List<JobId>? rejected, ref List<byte[]>? batches)
    {
        var count = 0;
        foreach (var completion in completions)
        {
            if (IsPlainSuccess(completion))
            {
                count++;
            }
        }

        if (count < 2)
        {
            return false;
        }

        var leases = new StringBuilder(count * 24).Append('[');
        foreach (var completion in completions)
        {
            if (IsPlainSuccess(completion))
            {
                AppendLease(leases, completion.Id, completion.LeaseToken);
            }
        }

        var command = session.Command(SqliteJobSql.SucceedMany, "@now", "@leases");
        command.Set(0, now);
        command.Set(1, leases.Append(']').ToString());
        var applied = new HashSet<long>(count);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt64(0));
                if (!reader.IsDBNull(1))
                {
                    (batches ??= []).Add((byte[])reader.GetValue(1));
                }
            }
        }

        if (applied.Count != count)
        {
            foreach (var completion in completions)
            {
                if (IsPlainSuccess(completion) && !applied.Contains(completion.Id.Value))
                {
                    (rejected ??= []).Add(completion.Id);
                }
            }
        }

        return true;
    }

    /// <summary>Appends <c>[id,token]</c> to a JSON array under construction (that starts with <c>[</c>).</summary>
    private static void AppendLease(StringBuilder json, JobId id, long token) =>
        json.Append(json.Length == 1 ? "[" : ",[")
            .Append(id.Value.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(token.ToString(CultureInfo.InvariantCulture)).Append(']');

    private static void SetError(SqliteCommand command, int index, JobError? error)
    {
        command.Set(index, error?.Type);
        command.Set(index + 1, error?.Message);
        command.Set(index + 2, error?.StackTrace);
    }
}
