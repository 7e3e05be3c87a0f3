using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>Schedules in the <c>schedules</c> table; every write also bumps the <c>schedules</c> counter that
/// <see cref="GetVersionAsync"/> reads, so a removal is noticed too.</summary>
internal sealed class SqliteScheduleStore : IScheduleStore
{
    private const string Columns =
        "name, cron, time_zone, job_name, payload, queue, misfire_policy, max_misfires, paused, last_occurrence, created_at, updated_at, version";

    private const string UpsertSql =
        "INSERT INTO schedules (" + Columns + ") VALUES (@name, @cron, @time_zone, @job_name, @payload, @queue, @misfire_policy, @max_misfires, @paused, @last_occurrence, @now, @now, 1) " +
        "ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, job_name = excluded.job_name, payload = excluded.payload, " +
        "queue = excluded.queue, misfire_policy = excluded.misfire_policy, max_misfires = excluded.max_misfires, paused = excluded.paused, " +
        "last_occurrence = coalesce(excluded.last_occurrence, schedules.last_occurrence), updated_at = excluded.updated_at, version = schedules.version + 1 " +
        "RETURNING " + Columns;

    private const string GetSql = "SELECT " + Columns + " FROM schedules WHERE name = @name";

    private const string ListSql = "SELECT " + Columns + " FROM schedules ORDER BY name";

    private const string RemoveSql = "DELETE FROM schedules WHERE name = @name";

    private const string PauseSql = "UPDATE schedules SET paused = @paused, updated_at = @now, version = version + 1 WHERE name = @name";

    private const string AdvanceSql =
        "UPDATE schedules SET last_occurrence = @occurrence, version = version + 1 WHERE name = @name AND last_occurrence IS @expected";

    private const string BumpSql = "UPDATE counters SET value = value + 1 WHERE name = 'schedules'";

    private const string VersionSql = "SELECT value FROM counters WHERE name = 'schedules'";

    private readonly SqliteDatabase _database;

    public SqliteScheduleStore(SqliteDatabase database) => _database = database;

    public ValueTask<ScheduleRecord> UpsertAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return _database.WriteAsync((schedule, now), static (session, state) =>
        {
            var (schedule, now) = state;
            var command = session.Command(UpsertSql, "@name", "@cron", "@time_zone", "@job_name", "@payload", "@queue", "@misfire_policy", "@max_misfires", "@paused", "@last_occurrence", "@now");
            command.Set(0, schedule.Name);
            command.Set(1, schedule.Cron);
            command.Set(2, schedule.TimeZoneId);
            command.Set(3, schedule.JobName);
            command.Set(4, SqliteValues.Blob(schedule.Payload));
            command.Set(5, schedule.Queue);
            command.Set(6, (int)schedule.MisfirePolicy);
            command.Set(7, schedule.MaxMisfires);
            command.Set(8, schedule.Paused ? 1 : 0);
            command.Set(9, SqliteValues.Ticks(schedule.LastOccurrence));
            command.Set(10, SqliteValues.Ticks(now));
            ScheduleRecord stored;
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                stored = Read(reader);
            }

            session.Execute(BumpSql);
            return stored;
        }, cancellationToken);
    }

    public ValueTask<ScheduleRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.ReadAsync(name, static (session, name) =>
        {
            var command = session.Command(GetSql, "@name");
            command.Set(0, name);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(0, static (session, _) =>
        {
            var records = new List<ScheduleRecord>();
            using var reader = session.Command(ListSql).ExecuteReader();
            while (reader.Read())
            {
                records.Add(Read(reader));
            }

            return (IReadOnlyList<ScheduleRecord>)records;
        }, cancellationToken);

    public ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.WriteAsync(name, static (session, name) =>
        {
            var command = session.Command(RemoveSql, "@name");
            command.Set(0, name);
            return Bump(session, command.ExecuteNonQuery() > 0);
        }, cancellationToken);
    }

    public ValueTask<bool> SetPausedAsync(string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.WriteAsync((name, paused, now), static (session, state) =>
        {
            var command = session.Command(PauseSql, "@paused", "@now", "@name");
            command.Set(0, state.paused ? 1 : 0);
            command.Set(1, SqliteValues.Ticks(state.now));
            command.Set(2, state.name);
            return Bump(session, command.ExecuteNonQuery() > 0);
        }, cancellationToken);
    }

    public ValueTask<bool> TryAdvanceAsync(string name, DateTimeOffset? expectedLastOccurrence, DateTimeOffset occurrence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.WriteAsync((name, expectedLastOccurrence, occurrence), static (session, state) =>
        {
            var command = session.Command(AdvanceSql, "@occurrence", "@name", "@expected");
            command.Set(0, SqliteValues.Ticks(state.occurrence));
            command.Set(1, state.name);
            command.Set(2, SqliteValues.Ticks(state.expectedLastOccurrence));
            return Bump(session, command.ExecuteNonQuery() > 0);
        }, cancellationToken);
    }

    public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(0, static (session, _) => (long)session.Command(VersionSql).ExecuteScalar()!, cancellationToken);

    private static bool Bump(SqliteSession session, bool changed)
    {
        if (changed)
        {
            session.Execute(BumpSql);
        }

        return changed;
    }

    private static ScheduleRecord Read(SqliteDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Cron = reader.GetString(1),
        TimeZoneId = reader.GetString(2),
        JobName = reader.GetString(3),
        Payload = SqliteValues.Bytes(reader, 4),
        Queue = SqliteValues.Text(reader, 5),
        MisfirePolicy = (MisfirePolicy)reader.GetInt32(6),
        MaxMisfires = reader.GetInt32(7),
        Paused = reader.GetInt64(8) != 0,
        LastOccurrence = SqliteValues.NullableInstant(reader, 9),
        CreatedAt = SqliteValues.Instant(reader, 10),
        UpdatedAt = SqliteValues.Instant(reader, 11),
        Version = reader.GetInt64(12),
    };
}
