using System.Text.Json;

namespace TaskRunner.Sqlite;

/// <summary>Nodes in the <c>nodes</c> table of the shared file: one row per node id. The table is created on first use
/// (<c>IF NOT EXISTS</c>, outside the versioned migrations: it holds only live, re-registered state, so an older file
/// gains it without a migration and a downgrade loses nothing). Times are UTC ticks, as in the other tables.</summary>
internal sealed class SqliteNodeRegistry(SqliteDatabase database) : INodeRegistry
{
    private const string CreateSql =
        "CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, host TEXT NOT NULL, version TEXT NOT NULL, queues TEXT NOT NULL, " +
        "job_names TEXT NOT NULL, claims_any INTEGER NOT NULL, started_at INTEGER NOT NULL, last_heartbeat_at INTEGER NOT NULL) WITHOUT ROWID";

    private const string UpsertSql =
        "INSERT INTO nodes (id, host, version, queues, job_names, claims_any, started_at, last_heartbeat_at) " +
        "VALUES (@id, @host, @version, @queues, @job_names, @claims_any, @started_at, @last_heartbeat_at) " +
        "ON CONFLICT (id) DO UPDATE SET host = excluded.host, version = excluded.version, queues = excluded.queues, " +
        "job_names = excluded.job_names, claims_any = excluded.claims_any, started_at = excluded.started_at, last_heartbeat_at = excluded.last_heartbeat_at";

    private const string ListSql =
        "SELECT id, host, version, queues, job_names, claims_any, started_at, last_heartbeat_at FROM nodes ORDER BY id";

    // Uses the claim index (queue first, pending rows only); job names are grouped within each queue.
    private const string PendingSql =
        "SELECT queue, name, COUNT(*) FROM jobs WHERE state = 1 GROUP BY queue, name ORDER BY queue, name";

    private volatile bool _created;

    public async ValueTask UpsertAsync(NodeRecord node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await database.WriteAsync(node, static (session, node) =>
        {
            var command = session.Command(UpsertSql, "@id", "@host", "@version", "@queues", "@job_names", "@claims_any", "@started_at", "@last_heartbeat_at");
            command.Set(0, node.Id);
            command.Set(1, node.Host);
            command.Set(2, node.Version);
            command.Set(3, JsonSerializer.Serialize(node.Queues));
            command.Set(4, JsonSerializer.Serialize(node.JobNames));
            command.Set(5, node.ClaimsAnyJobName ? 1L : 0L);
            command.Set(6, SqliteValues.Ticks(node.StartedAt));
            command.Set(7, SqliteValues.Ticks(node.LastHeartbeatAt));
            return command.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await database.ReadAsync(0, static (session, _) =>
        {
            using var reader = session.Command(ListSql).ExecuteReader();
            var nodes = new List<NodeRecord>();
            while (reader.Read())
            {
                nodes.Add(new NodeRecord
                {
                    Id = reader.GetString(0),
                    Host = reader.GetString(1),
                    Version = reader.GetString(2),
                    Queues = JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [],
                    JobNames = JsonSerializer.Deserialize<string[]>(reader.GetString(4)) ?? [],
                    ClaimsAnyJobName = reader.GetInt64(5) != 0,
                    StartedAt = SqliteValues.Instant(reader, 6),
                    LastHeartbeatAt = SqliteValues.Instant(reader, 7),
                });
            }

            return (IReadOnlyList<NodeRecord>)nodes;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await database.WriteAsync(nodeId, static (session, id) =>
        {
            var command = session.Command("DELETE FROM nodes WHERE id = @id", "@id");
            command.Set(0, id);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await database.WriteAsync(heartbeatBefore, static (session, before) =>
        {
            var command = session.Command("DELETE FROM nodes WHERE last_heartbeat_at < @before", "@before");
            command.Set(0, SqliteValues.Ticks(before));
            return command.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<PendingWork>> ListPendingWorkAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(0, static (session, _) =>
        {
            using var reader = session.Command(PendingSql).ExecuteReader();
            var work = new List<PendingWork>();
            while (reader.Read())
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

        await database.WriteAsync(0, static (session, _) => session.Execute(CreateSql), cancellationToken).ConfigureAwait(false);
        _created = true;
    }
}
