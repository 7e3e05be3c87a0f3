using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using TaskRunner.Sqlite;

namespace TaskRunner.Tests.Sqlite;

/// <summary>SQLite-only behaviour: busy handling, connection settings and the query plans behind flat claim cost.</summary>
public sealed class SqliteDatabaseTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_write_lock_held_by_another_process_past_the_busy_timeout_is_a_transient_store_error()
    {
        using var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = _factory.Path, BusyTimeout = TimeSpan.Zero }));
        var store = new SqliteJobStore(database);
        await database.EnsureInitializedAsync(CancellationToken.None);
        using var other = OpenRaw();
        Execute(other, "BEGIN IMMEDIATE");

        var error = await Assert.ThrowsAsync<JobStoreException>(async () => await store.EnqueueAsync([new NewJob { Name = "blocked" }], DateTimeOffset.UnixEpoch));

        Assert.True(error.IsTransient);
        Assert.Contains(_factory.Path, error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);

        // Once the other writer commits, the same store works again: nothing was left half-done.
        Execute(other, "COMMIT");
        Assert.True((await store.EnqueueAsync([new NewJob { Name = "after" }], DateTimeOffset.UnixEpoch))[0].Created);
        Assert.Equal(1, (await store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task Every_connection_uses_wal_normal_sync_busy_timeout_and_foreign_keys()
    {
        using var database = _factory.OpenDatabase();

        var settings = await database.ReadAsync(0, static (session, _) =>
        {
            string Read(string pragma) => Convert.ToString(session.Command($"PRAGMA {pragma}").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
            return (Journal: Read("journal_mode"), Sync: Read("synchronous"), Busy: Read("busy_timeout"), ForeignKeys: Read("foreign_keys"));
        }, CancellationToken.None);

        Assert.Equal("wal", settings.Journal);
        Assert.Equal("1", settings.Sync); // NORMAL
        Assert.Equal("1666", settings.Busy); // the 5 s default spread over three attempts
        Assert.Equal("1", settings.ForeignKeys);
    }

    // The statements splice in JobState numbers, so they are static readonly rather than constants: member data.
    public static TheoryData<string, string> HotStatements => new()
    {
        { SqliteJobSql.Claim, "jobs_claim" }, // the claim walks pending jobs of one queue in claim order
        { SqliteJobSql.Promote, "jobs_due" }, // promotion looks only at scheduled and failed jobs that are due
        { SqliteJobSql.RecoverDead, "jobs_lease" }, // recovery looks only at running jobs by lease expiry
        { SqliteJobSql.SucceedMany, "INTEGER PRIMARY KEY" }, // a list of completions looks each job up by id
        { SqliteJobSql.Heartbeat, "INTEGER PRIMARY KEY" }, // a heartbeat looks each lease's job up by id
        { SqliteJobSql.QueueRunning, "jobs_queue_running" }, // a queue limit counts only the queue's running jobs
        { SqliteJobSql.Debounce, "jobs_unique_key" }, // a debounced enqueue finds the waiting job by its key
        { SqliteJobSql.ReleaseRunningKey, "jobs_unique_key" }, // ... or the running one
    };

    [Theory]
    [MemberData(nameof(HotStatements))]
    public async Task Hot_statements_search_their_partial_index_and_never_scan_the_jobs_table(string sql, string index)
    {
        using var database = _factory.OpenDatabase();

        var plan = await database.ReadAsync(sql, static (session, sql) =>
        {
            using var command = session.Connection.CreateCommand();
#pragma warning disable CA2100 // A constant of the store under test.
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
#pragma warning restore CA2100
            foreach (var name in new[] { "@owner", "@lease_expires_at", "@queue", "@limit", "@now", "@leases", "@run_at", "@max_delay", "@key" })
            {
                if (sql.Contains(name, StringComparison.Ordinal))
                {
                    command.Parameters.AddWithValue(name, 1);
                }
            }

            var lines = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                lines.Add(reader.GetString(3));
            }

            return lines;
        }, CancellationToken.None);

        Assert.Contains(plan, line => line.Contains(index, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN j", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN jobs", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[\"a\",\"b\"]")] // claim by names: the list filters the same index walk
    [InlineData(null)] // any name
    public async Task Claim_by_names_walks_the_claim_index_in_order_without_a_sort_or_a_table_scan(string? names)
    {
        using var database = _factory.OpenDatabase();

        var plan = await database.ReadAsync(names, static (session, names) =>
        {
            using var command = session.Connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + SqliteJobSql.Claim;
            foreach (var name in new[] { "@owner", "@lease_expires_at", "@queue", "@limit", "@now" })
            {
                command.Parameters.AddWithValue(name, 1);
            }

            command.Parameters.AddWithValue("@names", (object?)names ?? DBNull.Value);
            var lines = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                lines.Add(reader.GetString(3));
            }

            return lines;
        }, CancellationToken.None);

        Assert.Contains(plan, line => line.Contains("jobs_claim", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal)); // walked in claim order, not sorted
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN j", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN jobs", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_version_1_file_with_pending_keyed_jobs_migrates_to_one_slot_per_key_in_claim_order()
    {
        var path = Path.Combine(Path.GetTempPath(), $"taskrunner-migrate-{Guid.NewGuid():N}.db");
        try
        {
            using (var v1 = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                v1.Open();
                Execute(v1, SqliteSchema.Migrations[0]);
                Execute(v1, "PRAGMA user_version = 1");

                // Key k: one running, two pending. Key m: three pending, the middle one first in claim order.
                Execute(v1, """
                    INSERT INTO jobs (id, name, queue, state, priority, run_at, created_at, max_attempts, concurrency_key, lease_token, lease_expires_at, owner) VALUES
                        (1, 'k-running', 'default', 2, 0, 0, 0, 3, 'k', 1, 3000000000000000000, 'old'),
                        (2, 'k-a', 'default', 1, 0, 0, 0, 3, 'k', 0, NULL, NULL),
                        (3, 'k-b', 'default', 1, 0, 0, 0, 3, 'k', 0, NULL, NULL),
                        (4, 'm-a', 'default', 1, 0, 0, 0, 3, 'm', 0, NULL, NULL),
                        (5, 'm-first', 'default', 1, 5, 0, 0, 3, 'm', 0, NULL, NULL),
                        (6, 'm-c', 'default', 1, 0, 0, 0, 3, 'm', 0, NULL, NULL),
                        (7, 'plain', 'default', 1, 0, 0, 0, 3, NULL, 0, NULL, NULL);
                    """);
            }

            using var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = path }));
            await database.EnsureInitializedAsync(CancellationToken.None);
            var store = new SqliteJobStore(database);
            var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
            ClaimRequest Claim() => new() { Queue = "default", MaxCount = 10, Owner = "new", Now = now, LeaseDuration = TimeSpan.FromMinutes(1) };

            Assert.Equal(["m-first", "plain"], (await store.ClaimAsync(Claim())).Select(j => j.Name));
            Assert.Equal(1, (await store.GetAsync(new JobId(2)))!.ConcurrencyLimit);

            // The running k job finishes (under its own lease): the first waiting k job takes its slot, by the new triggers.
            var running = (await store.GetAsync(new JobId(1)))!;
            Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(running.Id, running.LeaseToken)], Now = now }));
            Assert.Equal(["k-a"], (await store.ClaimAsync(Claim())).Select(j => j.Name));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task Disposed_connections_release_the_file()
    {
        var path = _factory.Path;
        var database = _factory.OpenDatabase();
        await new SqliteJobStore(database).EnqueueAsync([new NewJob { Name = "x" }], DateTimeOffset.UnixEpoch);

        database.Dispose();

        // An exclusive lock is only granted when no other connection has the file open in a conflicting way.
        using var other = OpenRaw();
        Execute(other, "BEGIN EXCLUSIVE");
        Execute(other, "COMMIT");
        Assert.True(File.Exists(path));
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection($"Data Source={_factory.Path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 5000");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test constants.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }
}
