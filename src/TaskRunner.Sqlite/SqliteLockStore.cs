namespace TaskRunner.Sqlite;

/// <summary>Locks in the <c>locks</c> table: one row per name, kept after release so its fencing token only grows.</summary>
internal sealed class SqliteLockStore : ILockStore
{
    // Insert a free name, or take over a row whose holder's lease ended (released rows have expires_at 0), in one statement.
    // When the row is held and valid the DO UPDATE's WHERE is false and nothing is returned.
    private const string AcquireSql =
        "INSERT INTO locks (name, owner, token, expires_at) VALUES (@name, @owner, 1, @expires_at) " +
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = locks.token + 1, expires_at = excluded.expires_at " +
        "WHERE locks.expires_at <= @now RETURNING token";

    private const string RenewSql =
        "UPDATE locks SET expires_at = @expires_at WHERE name = @name AND token = @token AND owner IS NOT NULL AND expires_at > @now";

    private const string ReleaseSql =
        "UPDATE locks SET owner = NULL, expires_at = 0 WHERE name = @name AND token = @token AND owner IS NOT NULL";

    // Released rows have a null owner and expires_at 0; expired ones are still in the row until taken over.
    private const string ListSql =
        "SELECT name, owner, token, expires_at FROM locks WHERE owner IS NOT NULL AND expires_at > @now ORDER BY name COLLATE BINARY";

    private readonly SqliteDatabase _database;

    public SqliteLockStore(SqliteDatabase database) => _database = database;

    public ValueTask<LockLease?> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return _database.WriteAsync((name, owner, now, expiresAt), static (session, state) =>
        {
            var command = session.Command(AcquireSql, "@name", "@owner", "@expires_at", "@now");
            command.Set(0, state.name);
            command.Set(1, state.owner);
            command.Set(2, SqliteValues.Ticks(state.expiresAt));
            command.Set(3, SqliteValues.Ticks(state.now));
            return command.ExecuteScalar() is long token
                ? new LockLease(state.name, state.owner, token, state.expiresAt)
                : (LockLease?)null;
        }, cancellationToken);
    }

    public ValueTask<bool> TryRenewAsync(string name, long fencingToken, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.WriteAsync((name, fencingToken, now, expiresAt), static (session, state) =>
        {
            var command = session.Command(RenewSql, "@expires_at", "@name", "@token", "@now");
            command.Set(0, SqliteValues.Ticks(state.expiresAt));
            command.Set(1, state.name);
            command.Set(2, state.fencingToken);
            command.Set(3, SqliteValues.Ticks(state.now));
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    public ValueTask<bool> ReleaseAsync(string name, long fencingToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.WriteAsync((name, fencingToken), static (session, state) =>
        {
            var command = session.Command(ReleaseSql, "@name", "@token");
            command.Set(0, state.name);
            command.Set(1, state.fencingToken);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<LockLease>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(now, static (session, now) =>
        {
            var command = session.Command(ListSql, "@now");
            command.Set(0, SqliteValues.Ticks(now));
            using var reader = command.ExecuteReader();
            var held = new List<LockLease>();
            while (reader.Read())
            {
                held.Add(new LockLease(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), SqliteValues.Instant(reader, 3)));
            }

            return (IReadOnlyList<LockLease>)held;
        }, cancellationToken);
}
