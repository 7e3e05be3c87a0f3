using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>Locks in the <c>locks</c> table: one row per name, kept after release so its fencing token only grows.
/// Each operation is one statement.</summary>
internal sealed class PostgresLockStore : ILockStore
{
    private readonly PostgresDatabase _database;
    private readonly string _list;

    public PostgresLockStore(PostgresDatabase database)
    {
        _database = database;
        // Released rows have a null owner and expires_at 0; expired ones keep their row until taken over.
        _list = $"SELECT name, owner, token, expires_at FROM \"{database.Sql.Schema}\".locks WHERE owner IS NOT NULL AND expires_at > $1 ORDER BY name COLLATE \"C\"";
    }

    public ValueTask<LockLease?> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return _database.RunAsync((name, owner, now, expiresAt, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.AcquireLock, V.Text(state.name), V.Text(state.owner), V.Ticks(state.expiresAt), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long token
                ? new LockLease(state.name, state.owner, token, state.expiresAt)
                : (LockLease?)null;
        }, cancellationToken);
    }

    public ValueTask<bool> TryRenewAsync(string name, long fencingToken, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.RunAsync((name, fencingToken, now, expiresAt, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.RenewLock, V.Ticks(state.expiresAt), V.Text(state.name), V.Long(state.fencingToken), V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public ValueTask<bool> ReleaseAsync(string name, long fencingToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.RunAsync((name, fencingToken, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.ReleaseLock, V.Text(state.name), V.Long(state.fencingToken));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<LockLease>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _database.RunAsync((now, sql: _list), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql, V.Ticks(state.now));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var held = new List<LockLease>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                held.Add(new LockLease(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
            }

            return (IReadOnlyList<LockLease>)held;
        }, cancellationToken);
}
