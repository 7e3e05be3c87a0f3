using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using TaskRunner.Sqlite;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>sqlite-limit</c>: the raw ceiling of SQLite for the backend's file — the same schema (created by the backend itself)
/// and the same connection settings (WAL, synchronous NORMAL, ...), driven with hand-written prepared SQL and no engine:
/// <list type="bullet">
/// <item>single_commits_per_s: one-row insert transactions (<c>BEGIN IMMEDIATE</c> … <c>COMMIT</c>) for <c>--seconds</c>;</item>
/// <item>batched_claim_complete_per_s: jobs moved pending → running → succeeded, <c>--batch</c> (default 100) at a time,
/// one transaction to claim a batch and one to complete it, over <c>--rows</c> pre-inserted jobs.</item>
/// </list>
/// </summary>
internal static class SqliteLimitRunner
{
    private const string Pragmas =
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; " +
        "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -32768;";

    private const string InsertSql =
        "INSERT INTO jobs (name, queue, payload, state, priority, run_at, created_at, max_attempts) VALUES ($name, 'default', $payload, 1, 0, $now, $now, 10)";

    private const string ClaimSql =
        "UPDATE jobs SET state = 2, owner = $owner, lease_token = lease_token + 1, lease_expires_at = $expires, attempts = attempts + 1 " +
        "WHERE id IN (SELECT id FROM jobs WHERE queue = 'default' AND state = 1 ORDER BY priority DESC, run_at, id LIMIT $n) " +
        "RETURNING id, name, payload, lease_token";

    private const string CompleteSql =
        "UPDATE jobs SET state = 3, owner = NULL, lease_expires_at = NULL, finished_at = $now WHERE id IN (SELECT value FROM json_each($ids)) AND state = 2";

    public static void Run(CommandLine options)
    {
        var seconds = options.Get("seconds", 3);
        var rows = options.Get("rows", 100_000);
        var batch = options.Get("batch", 100);
        var engineClaim = options.Get("claim", "plain") == "engine";
        using var file = new TempDatabase();
        CreateSchema(file.FilePath);

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file.FilePath, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, Pragmas);
        Figures.Print("single_commits_per_s", SingleCommits(connection, TimeSpan.FromSeconds(seconds)));
        Figures.Print("batched_claim_complete_per_s", BatchedClaimComplete(connection, rows, batch, engineClaim));
    }

    private static void CreateSchema(string path)
    {
        using var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = path }));
        database.EnsureInitializedAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    private static double SingleCommits(SqliteConnection connection, TimeSpan duration)
    {
        using var begin = Command(connection, "BEGIN IMMEDIATE");
        using var commit = Command(connection, "COMMIT");
        using var insert = InsertCommand(connection);
        var count = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            begin.ExecuteNonQuery();
            insert.Parameters["$now"].Value = DateTime.UtcNow.Ticks;
            insert.ExecuteNonQuery();
            commit.ExecuteNonQuery();
            count++;
        }

        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static double BatchedClaimComplete(SqliteConnection connection, int rows, int batch, bool engineClaim)
    {
        // Start from an empty claim index holding exactly the rows to move.
        Execute(connection, "UPDATE jobs SET state = 3 WHERE state = 1");
        using (var transaction = connection.BeginTransaction())
        {
            using var insert = InsertCommand(connection);
            insert.Transaction = transaction;
            for (var i = 0; i < rows; i++)
            {
                insert.Parameters["$now"].Value = DateTime.UtcNow.Ticks;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        using var begin = Command(connection, "BEGIN IMMEDIATE");
        using var commit = Command(connection, "COMMIT");
        // --claim engine: the backend's own promote + claim statements (with the concurrency-key checks), for comparison.
        using var promote = Command(connection, engineClaim ? SqliteJobSql.Promote : "SELECT 1");
        promote.Parameters.AddWithValue("@now", 0L);
        using var claim = Command(connection, engineClaim ? SqliteJobSql.Claim : ClaimSql);
        claim.Parameters.AddWithValue(engineClaim ? "@owner" : "$owner", "bench");
        claim.Parameters.AddWithValue(engineClaim ? "@lease_expires_at" : "$expires", 0L);
        claim.Parameters.AddWithValue(engineClaim ? "@limit" : "$n", batch);
        if (engineClaim)
        {
            claim.Parameters.AddWithValue("@queue", "default");
        }

        using var complete = Command(connection, CompleteSql);
        complete.Parameters.AddWithValue("$now", 0L);
        complete.Parameters.AddWithValue("$ids", "");
        var ids = new System.Text.StringBuilder();
        var moved = 0;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            begin.ExecuteNonQuery();
            if (engineClaim)
            {
                promote.Parameters["@now"].Value = DateTime.UtcNow.Ticks;
                promote.ExecuteNonQuery();
            }

            claim.Parameters[engineClaim ? "@lease_expires_at" : "$expires"].Value = DateTime.UtcNow.AddSeconds(30).Ticks;
            ids.Clear().Append('[');
            var claimed = 0;
            using (var reader = claim.ExecuteReader())
            {
                while (reader.Read())
                {
                    // Read what a worker needs, as the engine does.
                    _ = reader.GetString(1);
                    _ = reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2);
                    _ = reader.GetInt64(3);
                    ids.Append(claimed++ == 0 ? "" : ",").Append(reader.GetInt64(0));
                }
            }

            commit.ExecuteNonQuery();
            if (claimed == 0)
            {
                break;
            }

            begin.ExecuteNonQuery();
            complete.Parameters["$now"].Value = DateTime.UtcNow.Ticks;
            complete.Parameters["$ids"].Value = ids.Append(']').ToString();
            complete.ExecuteNonQuery();
            commit.ExecuteNonQuery();
            moved += claimed;
        }

        return moved / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static SqliteCommand InsertCommand(SqliteConnection connection)
    {
        var insert = Command(connection, InsertSql);
        insert.Parameters.AddWithValue("$name", "noop");
        insert.Parameters.AddWithValue("$payload", "{\"value\":0}"u8.ToArray());
        insert.Parameters.AddWithValue("$now", 0L);
        return insert;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }
}
