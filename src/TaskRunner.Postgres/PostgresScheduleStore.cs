using Npgsql;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>Schedules in the <c>schedules</c> table; every write bumps the <c>schedules</c> counter that
/// <see cref="GetVersionAsync"/> reads in the same statement, so a removal is noticed too.</summary>
internal sealed class PostgresScheduleStore : IScheduleStore
{
    private readonly PostgresDatabase _database;

    public PostgresScheduleStore(PostgresDatabase database) => _database = database;

    public ValueTask<ScheduleRecord> UpsertAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return _database.RunAsync((schedule, now, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var (schedule, now, sql) = state;
            var command = Command(connection, sql.UpsertSchedule,
                V.Text(schedule.Name), V.Text(schedule.Cron), V.Text(schedule.TimeZoneId), V.Text(schedule.JobName), V.Bytes(schedule.Payload),
                V.Text(schedule.Queue), V.Int((int)schedule.MisfirePolicy), V.Int(schedule.MaxMisfires), V.Bool(schedule.Paused),
                V.Ticks(schedule.LastOccurrence), V.Ticks(now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            return Read(reader);
        }, cancellationToken);
    }

    public ValueTask<ScheduleRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.RunAsync((name, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.GetSchedule, V.Text(state.name));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _database.RunAsync(_database.Sql, static async (connection, sql, ct) =>
        {
            var records = new List<ScheduleRecord>();
            var command = Command(connection, sql.ListSchedules);
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(Read(reader));
            }

            return (IReadOnlyList<ScheduleRecord>)records;
        }, cancellationToken);

    public ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Changed(_database.Sql.RemoveSchedule, [V.Text(name)], cancellationToken);
    }

    public ValueTask<bool> SetPausedAsync(string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Changed(_database.Sql.PauseSchedule, [V.Text(name), V.Bool(paused), V.Ticks(now)], cancellationToken);
    }

    public ValueTask<bool> TryAdvanceAsync(string name, DateTimeOffset? expectedLastOccurrence, DateTimeOffset occurrence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Changed(_database.Sql.AdvanceSchedule, [V.Text(name), V.Ticks(occurrence), V.Ticks(expectedLastOccurrence)], cancellationToken);
    }

    public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken = default) =>
        _database.RunAsync(_database.Sql, static async (connection, sql, ct) =>
        {
            var command = Command(connection, sql.ScheduleVersion);
            await using var commandScope = command.ConfigureAwait(false);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken);

    /// <summary>Runs a write whose statement returns how many schedules it changed (and bumped the counter if any).</summary>
    private ValueTask<bool> Changed(string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken) =>
        _database.RunAsync((sql, parameters), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql, state.parameters);
            await using var commandScope = command.ConfigureAwait(false);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0;
        }, cancellationToken);

    private static ScheduleRecord Read(NpgsqlDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Cron = reader.GetString(1),
        TimeZoneId = reader.GetString(2),
        JobName = reader.GetString(3),
        Payload = V.Bytes(reader, 4),
        Queue = V.NullableText(reader, 5),
        MisfirePolicy = (MisfirePolicy)reader.GetInt32(6),
        MaxMisfires = reader.GetInt32(7),
        Paused = reader.GetBoolean(8),
        LastOccurrence = V.NullableInstant(reader, 9),
        CreatedAt = V.Instant(reader, 10),
        UpdatedAt = V.Instant(reader, 11),
        Version = reader.GetInt64(12),
    };
}
