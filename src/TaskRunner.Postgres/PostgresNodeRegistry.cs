using Npgsql;
using NpgsqlTypes;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>Nodes in the schema's <c>nodes</c> table: one row per node id, queues and job names as <c>text[]</c>. The
/// table is created on first use (<c>IF NOT EXISTS</c>, outside the versioned migrations: it holds only live state that
/// nodes re-register). Times are UTC ticks, as in the other tables.</summary>
internal sealed class PostgresNodeRegistry : INodeRegistry
{
    private readonly PostgresDatabase _database;
    private readonly string _create;
    private readonly string _upsert;
    private readonly string _list;
    private readonly string _remove;
    private readonly string _purge;
    private readonly string _pending;
    private volatile bool _created;

    public PostgresNodeRegistry(PostgresDatabase database)
    {
        _database = database;
        var s = "\"" + database.Sql.Schema + "\"";
        _create = $"CREATE TABLE IF NOT EXISTS {s}.nodes (id text PRIMARY KEY, host text NOT NULL, version text NOT NULL, queues text[] NOT NULL, " +
            "job_names text[] NOT NULL, claims_any boolean NOT NULL, started_at bigint NOT NULL, last_heartbeat_at bigint NOT NULL)";
        _upsert = $"INSERT INTO {s}.nodes (id, host, version, queues, job_names, claims_any, started_at, last_heartbeat_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET host = excluded.host, version = excluded.version, " +
            "queues = excluded.queues, job_names = excluded.job_names, claims_any = excluded.claims_any, started_at = excluded.started_at, " +
            "last_heartbeat_at = excluded.last_heartbeat_at";
        _list = $"SELECT id, host, version, queues, job_names, claims_any, started_at, last_heartbeat_at FROM {s}.nodes ORDER BY id COLLATE \"C\"";
        _remove = $"DELETE FROM {s}.nodes WHERE id = $1";
        _purge = $"DELETE FROM {s}.nodes WHERE last_heartbeat_at < $1";

        // Reads the pending rows through the claim index (queue first, pending only).
        _pending = $"SELECT queue, name, count(*) FROM {s}.jobs WHERE state = 1 GROUP BY queue, name ORDER BY queue COLLATE \"C\", name COLLATE \"C\"";
    }

    public async ValueTask UpsertAsync(NodeRecord node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await _database.RunAsync((node, sql: _upsert), static async (connection, state, ct) =>
        {
            var n = state.node;
            var command = Command(connection, state.sql, V.Text(n.Id), V.Text(n.Host), V.Text(n.Version), TextArray(n.Queues), TextArray(n.JobNames),
                V.Bool(n.ClaimsAnyJobName), V.Ticks(n.StartedAt), V.Ticks(n.LastHeartbeatAt));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await _database.RunAsync(_list, static async (connection, sql, ct) =>
        {
            var command = Command(connection, sql);
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var nodes = new List<NodeRecord>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                nodes.Add(new NodeRecord
                {
                    Id = reader.GetString(0),
                    Host = reader.GetString(1),
                    Version = reader.GetString(2),
                    Queues = reader.GetFieldValue<string[]>(3),
                    JobNames = reader.GetFieldValue<string[]>(4),
                    ClaimsAnyJobName = reader.GetBoolean(5),
                    StartedAt = new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                    LastHeartbeatAt = new DateTimeOffset(reader.GetInt64(7), TimeSpan.Zero),
                });
            }

            return (IReadOnlyList<NodeRecord>)nodes;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await _database.RunAsync((nodeId, sql: _remove), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql, V.Text(state.nodeId));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await _database.RunAsync((heartbeatBefore, sql: _purge), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql, V.Ticks(state.heartbeatBefore));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<PendingWork>> ListPendingWorkAsync(CancellationToken cancellationToken = default) =>
        _database.RunAsync(_pending, static async (connection, sql, ct) =>
        {
            var command = Command(connection, sql);
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var work = new List<PendingWork>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                work.Add(new PendingWork(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }

            return (IReadOnlyList<PendingWork>)work;
        }, cancellationToken);

    /// <summary>Creates the table once per process (a statement every later process finds done).</summary>
    internal async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _database.RunAsync(_create, static async (connection, sql, ct) =>
        {
            var command = Command(connection, sql);
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        _created = true;
    }

    private static NpgsqlParameter TextArray(IReadOnlyList<string> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = values.ToArray() };
}
