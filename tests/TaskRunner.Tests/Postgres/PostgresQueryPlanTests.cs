using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using TaskRunner.Postgres;

namespace TaskRunner.Tests.Postgres;

/// <summary>The hot statements search their partial indexes on a large table (200,000 jobs, most of them finished, as a
/// busy queue's table looks between purges) and never read the whole jobs table: their cost must not grow with it.</summary>
public sealed class PostgresQueryPlanTests : IClassFixture<PostgresQueryPlanTests.LargeTable>
{
    private const string ClaimByNames = nameof(PostgresSql.Claim) + " by names, with a queue limit";
    private const string ClaimRunningCount = nameof(PostgresSql.Claim) + " with a queue limit";

    /// <summary>Pending jobs of q3 behind busy keys, first in its claim order.</summary>
    private const int BehindBusyKeys = 20_000;

    private readonly PostgresStoreFactory _factory;

    public PostgresQueryPlanTests(LargeTable table) => _factory = table.Factory;

    public static TheoryData<string, string> Statements => new()
    {
        { nameof(PostgresSql.Claim), "jobs_claim" }, // the claim walks pending jobs of one queue in claim order
        { ClaimByNames, "jobs_claim" }, // claim by names and a queue limit filter the same walk (names are not indexed)
        { ClaimRunningCount, "jobs_lease" }, // a queue limit counts running jobs only (as many as the fleet's workers)
        { nameof(PostgresSql.Promote), "jobs_due" }, // promotion looks only at scheduled and failed jobs
        { nameof(PostgresSql.Recover), "jobs_lease" }, // recovery looks only at running jobs, by lease expiry
        { nameof(PostgresSql.Complete), "jobs_pkey" }, // a list of completions looks each job up by id
        { nameof(PostgresSql.Heartbeat), "jobs_pkey" }, // a heartbeat looks each lease's job up by id
        { nameof(PostgresSql.Purge), "jobs_finished" }, // purging finds finished jobs of one state by finish time
        { nameof(PostgresSql.Debounce), "jobs_unique_key" }, // a debounced enqueue finds the waiting job by its key
        { nameof(PostgresSql.ReleaseRunningKey), "jobs_unique_key" }, // ... or the running one
    };

    /// <summary>The large table, filled once for the class.</summary>
    public sealed class LargeTable : IAsyncLifetime
    {
        private const int FinishedJobs = 190_000;
        private const int BusyKeys = 10;

        public PostgresStoreFactory Factory { get; } = new();

        public Task DisposeAsync() => Factory.DisposeAsync().AsTask();

        public async Task InitializeAsync()
        {
            await Factory.InitializeAsync();
            var s = $"\"{Factory.Schema}\"";

            // Finished jobs in bulk, then pending jobs in four queues, scheduled and failed ones, running ones with leases;
            // and a backlog behind busy keys: each busy key held by a running job, its pending jobs first in q3's claim
            // order (they wait: the insert trigger marks them). ANALYZE so the planner knows the table is large and which
            // states are rare, as autovacuum would tell it.
            await ExecuteAsync(
                $"INSERT INTO {s}.concurrency_keys (key) SELECT 'k' || i FROM generate_series(0, 49) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts, finished_at) " +
                $"SELECT 'done', 'q' || (i % 4), 3, i, i, 3, i FROM generate_series(1, {FinishedJobs}) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, priority, run_at, created_at, max_attempts, concurrency_key) " +
                $"SELECT 'pending', 'q' || (i % 4), 1, i % 3, i, i, 3, CASE WHEN i % 10 = 0 THEN 'k' || (i % 50) END FROM generate_series(1, 4000) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts) SELECT 'later', 'q0', 0, 1000000 + i, i, 3 FROM generate_series(1, 3000) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts, owner, lease_token, lease_expires_at, attempts) " +
                $"SELECT 'running', 'q1', 2, i, i, 3, 'w', 1, 500000 + i, 1 FROM generate_series(1, 3000) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts, owner, lease_token, lease_expires_at, attempts, concurrency_key) " +
                $"SELECT 'holder', 'q1', 2, i, i, 3, 'w', 1, 900000 + i, 1, 'busy' || i FROM generate_series(0, {BusyKeys - 1}) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, priority, run_at, created_at, max_attempts, concurrency_key) " +
                $"SELECT 'behind', 'q3', 1, 5, i, i, 3, 'busy' || (i % {BusyKeys}) FROM generate_series(1, {BehindBusyKeys}) i; " +
                $"INSERT INTO {s}.jobs (name, queue, state, run_at, created_at, max_attempts) SELECT 'free', 'q3', 1, i, i, 3 FROM generate_series(1, 1000) i; " +
                $"ANALYZE {s}.jobs; ANALYZE {s}.concurrency_keys");
        }

        private async Task ExecuteAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(Factory.ConnectionString);
            await connection.OpenAsync();
#pragma warning disable CA2100 // Test data set-up.
            await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Hot_statements_search_their_partial_index_and_never_scan_the_jobs_table(string statement, string index)
    {
        var sql = _factory.Database.Sql;
        var (text, parameters) = statement switch
        {
            nameof(PostgresSql.Claim) => (sql.Claim, new object[] { "q2", 100, "w", 10L, 5L, DBNull.Value, DBNull.Value }),
            ClaimByNames => (sql.Claim, new object[] { "q2", 100, "w", 10L, 5L, new[] { "pending", "other" }, 50 }),
            ClaimRunningCount => (sql.Claim, new object[] { "q2", 100, "w", 10L, 5L, DBNull.Value, 50 }),
            nameof(PostgresSql.Promote) => (sql.Promote, [500L, 10_000]),
            nameof(PostgresSql.Recover) => (sql.Recover, [500_100L, 100]),
            nameof(PostgresSql.Complete) => (sql.Complete, [new long[] { 1, 2 }, new long[] { 1, 1 }, new short[] { 0, 0 }, new byte[]?[] { null, null }, new long?[] { null, null }, new string?[] { null, null }, new string?[] { null, null }, new string?[] { null, null }, 5L]),
            nameof(PostgresSql.Heartbeat) => (sql.Heartbeat, [5L, new long[] { 1, 2 }, new long[] { 1, 1 }, 4L]),
            nameof(PostgresSql.Purge) => (sql.Purge, [(short)3, 100L, 1000]),
            nameof(PostgresSql.Debounce) => (sql.Debounce, [5L, 10L, 5L, "key"]),
            nameof(PostgresSql.ReleaseRunningKey) => (sql.ReleaseRunningKey, ["key"]),
            _ => throw new ArgumentOutOfRangeException(nameof(statement), statement, "Unknown statement."),
        };

        var plan = await ExplainAsync(text, parameters);

        var nodes = Nodes(plan.RootElement).ToList();
        Assert.Contains(nodes, n => n.TryGetProperty("Index Name", out var name) && name.GetString() == index);
        var scans = nodes.Where(n => n.GetProperty("Node Type").GetString() == "Seq Scan" && n.GetProperty("Relation Name").GetString() == "jobs").ToList();
        Assert.True(scans.Count == 0, $"{statement} reads the whole jobs table:{Environment.NewLine}{plan.RootElement}");
    }

    [Fact]
    public async Task The_claim_reads_no_job_waiting_behind_a_busy_key()
    {
        // Run for real (EXPLAIN ANALYZE, rolled back): the claim's walk of jobs_claim returns the 32 jobs it takes, not the
        // 20,000 waiting before them in claim order; they are outside the index (key_wait), so the walk cannot see them.
        var plan = await ExplainAsync(_factory.Database.Sql.Claim, ["q3", 32, "w", 10L, 5L, DBNull.Value, DBNull.Value], analyze: true);

        var nodes = Nodes(plan.RootElement).ToList();
        var walk = Assert.Single(nodes, n => n.TryGetProperty("Index Name", out var name) && name.GetString() == "jobs_claim");
        var read = walk.GetProperty("Actual Rows").GetDouble() * walk.GetProperty("Actual Loops").GetDouble();
        Assert.True(read <= 32, $"The claim read {read} entries of jobs_claim to take 32:{Environment.NewLine}{plan.RootElement}");
        var claimed = nodes.First(n => n.GetProperty("Node Type").GetString() == "ModifyTable");
        Assert.Equal(32, claimed.GetProperty("Actual Rows").GetDouble());
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() == "Seq Scan" && n.GetProperty("Relation Name").GetString() == "jobs");
    }

    private async Task<JsonDocument> ExplainAsync(string sql, object[] parameters, bool analyze = false)
    {
        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();

        // An analyzed statement runs: in a transaction rolled back, so the table stays as the fixture made it.
        await using var transaction = await connection.BeginTransactionAsync();
#pragma warning disable CA2100 // A statement of the store under test.
        await using var command = new NpgsqlCommand((analyze ? "EXPLAIN (ANALYZE, FORMAT JSON) " : "EXPLAIN (FORMAT JSON) ") + sql, connection, transaction);
#pragma warning restore CA2100
        foreach (var value in parameters)
        {
            command.Parameters.Add(value switch
            {
                string text => new NpgsqlParameter { Value = text, NpgsqlDbType = NpgsqlDbType.Text },
                byte[]?[] bytes => new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                long?[] longs => new NpgsqlParameter { Value = longs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                string?[] texts => new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                DBNull => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown },
                _ => new NpgsqlParameter { Value = value },
            });
        }

        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!);
        await transaction.RollbackAsync();
        return plan;
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var node in Nodes(item))
                {
                    yield return node;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("Node Type", out _))
            {
                yield return element;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
                {
                    foreach (var node in Nodes(property.Value))
                    {
                        yield return node;
                    }
                }
            }
        }
    }
}
