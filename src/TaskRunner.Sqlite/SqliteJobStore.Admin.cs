using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>Administration and queries: cancel, requeue, purge, delete, read, list, count, the next due time.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((id, now), static (session, state) =>
        {
            var read = session.Command(SqliteJobSql.State, "@id");
            read.Set(0, state.id.Value);
            JobState jobState;
            byte[]? batchId;
            using (var reader = read.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return CancelResult.NotFound;
                }

                jobState = (JobState)reader.GetInt32(0);
                batchId = SqliteValues.NullableBytes(reader, 1);
            }

            switch (jobState)
            {
                case JobState.Scheduled or JobState.Pending or JobState.Failed:
                    var cancel = session.Command(SqliteJobSql.CancelWaiting, "@id", "@now");
                    cancel.Set(0, state.id.Value);
                    cancel.Set(1, SqliteValues.Ticks(state.now));
                    cancel.ExecuteNonQuery();
                    if (batchId is not null)
                    {
                        SqliteBatches.TryEnqueueContinuation(session, batchId, state.now);
                    }

                    return CancelResult.Cancelled;
                case JobState.Running:
                    var request = session.Command(SqliteJobSql.RequestCancel, "@id");
                    request.Set(0, state.id.Value);
                    request.ExecuteNonQuery();
                    return CancelResult.CancellationRequested;
                default:
                    return CancelResult.AlreadyFinished;
            }
        }, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((id, now), static (session, state) =>
        {
            var command = session.Command(SqliteJobSql.Requeue, "@id", "@now");
            command.Set(0, state.id.Value);
            command.Set(1, SqliteValues.Ticks(state.now));
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ThrowIfInvalid();
        var sql = SqliteJobSql.Purge(request.State)!;
        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult(0);
        }

        return _database.WriteAsync((request, sql), static (session, state) =>
        {
            var command = session.Command(state.sql, "@before", "@limit");
            command.Set(0, SqliteValues.Ticks(state.request.FinishedBefore));
            command.Set(1, state.request.MaxCount);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.WriteAsync(id, static (session, id) =>
        {
            var command = session.Command(SqliteJobSql.DeleteFinished, "@id");
            command.Set(0, id.Value);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(id, static (session, id) =>
        {
            var command = session.Command(SqliteJobSql.Get, "@id");
            command.Set(0, id.Value);
            using var reader = command.ExecuteReader();
            return reader.Read() ? SqliteJobRows.ReadRecord(reader) : null;
        }, cancellationToken);

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(queue, static (session, queue) =>
        {
            SqliteCommand command;
            if (queue is null)
            {
                command = session.Command(SqliteJobSql.CountAll);
            }
            else
            {
                command = session.Command(SqliteJobSql.CountQueue, "@queue");
                command.Set(0, queue);
            }

            return SqliteJobRows.ReadCounts(command);
        }, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(SqliteValues.Ticks(now), static (session, now) =>
        {
            var next = session.Command(SqliteJobSql.NextRunAt, "@now");
            next.Set(0, now);
            var value = next.ExecuteScalar();
            return value is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);
}
