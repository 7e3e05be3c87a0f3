using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using TaskRunner.Postgres;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>postgres-limit</c>: the raw ceiling of the PostgreSQL server named by <c>TASKRUNNER_POSTGRES</c> for the backend's
/// schema (created by the backend itself, on the server's own settings: no tuning), driven with hand-written SQL and no
/// engine:
/// <list type="bullet">
/// <item>single_commits_per_s: one-row insert transactions for <c>--seconds</c> on one connection;</item>
/// <item>batched_claim_complete_per_s: jobs moved pending → running → succeeded, <c>--batch</c> (default 256) at a time
/// by <c>--connections</c> (default 4) connections in parallel, a bare <c>FOR UPDATE SKIP LOCKED</c> claim statement and an
/// <c>id = ANY(...)</c> complete statement per batch, over <c>--rows</c> pre-inserted jobs.</item>
/// </list>
/// </summary>
internal static class PostgresLimitRunner
{
    public static async Task RunAsync(CommandLine options)
    {
        var seconds = options.Get("seconds", 3);
        var rows = options.Get("rows", 100_000);
        var batch = options.Get("batch", 256);
        var connections = options.Get("connections", 4);
        using var schema = new TempSchema();
        var s = $"\"{schema.Name}\"";
        await using (var database = new PostgresDatabase(Options.Create(new PostgresStoreOptions { ConnectionString = schema.ConnectionString, Schema = schema.Name })))
        {
            await database.EnsureInitializedAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await using var dataSource = NpgsqlDataSource.Create(schema.ConnectionString);
        Figures.Print("single_commits_per_s", await SingleCommitsAsync(dataSource, s, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false));
        Figures.Print("batched_claim_complete_per_s", await BatchedClaimCompleteAsync(dataSource, s, rows, batch, connections).ConfigureAwait(false));
    }

    private static async Task<double> SingleCommitsAsync(NpgsqlDataSource dataSource, string s, TimeSpan duration)
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var insert = Command(connection, $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts) VALUES ('c', 'commits', 3, 0, 0, 1)");
        await insert.PrepareAsync().ConfigureAwait(false);
        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
            count++;
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> BatchedClaimCompleteAsync(NpgsqlDataSource dataSource, string s, int rows, int batch, int connections)
    {
        await using (var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false))
        await using (var fill = Command(connection,
            $"INSERT INTO {s}.jobs (name, queue, payload, state, run_at, created_at, max_attempts) SELECT 'j', 'default', '\\x7b7d', 1, i, 0, 10 FROM generate_series(1, {rows}) i; ANALYZE {s}.jobs"))
        {
            await fill.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var claim = Command(connection,
                $"UPDATE {s}.jobs j SET state = 2, owner = 'w', lease_token = j.lease_token + 1, lease_expires_at = 1, attempts = j.attempts + 1 " +
                $"FROM (SELECT id FROM {s}.jobs WHERE state = 1 AND queue = 'default' ORDER BY priority DESC, run_at, id LIMIT {batch} FOR UPDATE SKIP LOCKED) c " +
                "WHERE j.id = c.id RETURNING j.id, j.name, j.payload, j.lease_token");
            await using var complete = Command(connection, $"UPDATE {s}.jobs SET state = 3, lease_expires_at = NULL, finished_at = 1 WHERE id = ANY($1) AND state = 2");
            var ids = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };
            complete.Parameters.Add(ids);
            var done = 0L;
            var claimed = new List<long>(batch);
            while (true)
            {
                claimed.Clear();
                await using (var reader = await claim.ExecuteReaderAsync().ConfigureAwait(false))
                {
                    while (await reader.ReadAsync().ConfigureAwait(false))
                    {
                        claimed.Add(reader.GetInt64(0));
                    }
                }

                if (claimed.Count == 0)
                {
                    return done;
                }

                ids.Value = claimed.ToArray();
                await complete.ExecuteNonQueryAsync().ConfigureAwait(false);
                done += claimed.Count;
            }
        })).ToArray();
        var total = (await Task.WhenAll(workers).ConfigureAwait(false)).Sum();
        return total / clock.Elapsed.TotalSeconds;
    }

#pragma warning disable CA2100 // Benchmark SQL: constants and a generated schema name.
    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql) => new(sql, connection);
#pragma warning restore CA2100
}
