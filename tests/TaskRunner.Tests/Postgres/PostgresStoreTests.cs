using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using TaskRunner.Postgres;

namespace TaskRunner.Tests.Postgres;

/// <summary>PostgreSQL-specific behaviour beyond the contract suites: options validation, the concurrency-key and
/// queue-limit races that a statement snapshot alone cannot see, and the upgrade of a version 1 schema.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Theory]
    [InlineData(null, "taskrunner", "ConnectionString", "set exactly one")] // neither a connection string nor a data source
    [InlineData("Host=x", "Jobs", "Schema", "'Jobs'")] // upper case would need quoting everywhere
    [InlineData("Host=x", "1jobs", "Schema", "'1jobs'")] // must start with a letter or underscore
    [InlineData("Host=x", "jobs; DROP TABLE x", "Schema", "lower-case identifier")] // never spliced into SQL
    [InlineData("Nonsense Key=1", "taskrunner", "ConnectionString", "not a valid Npgsql connection string")]
    public void Invalid_options_are_rejected_naming_the_option_and_the_rule(string? connectionString, string schema, string option, string expected)
    {
        var error = Assert.Single(new PostgresStoreOptions { ConnectionString = connectionString, Schema = schema }.Validate());

        Assert.Contains($"PostgresStoreOptions.{option}", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_source_and_a_connection_string_together_are_rejected_and_the_default_schema_is_taskrunner()
    {
        await using var dataSource = NpgsqlDataSource.Create(_factory.ConnectionString);
        Assert.Equal("taskrunner", new PostgresStoreOptions().Schema);
        Assert.Empty(new PostgresStoreOptions { DataSource = dataSource }.Validate());
        Assert.Contains("both set", Assert.Single(new PostgresStoreOptions { DataSource = dataSource, ConnectionString = "Host=x" }.Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_concurrency_key_being_claimed_by_an_uncommitted_claim_in_another_queue_is_not_claimed_again()
    {
        var store = _factory.JobStore;
        await store.EnqueueAsync(
        [
            new NewJob { Name = "a", Queue = "q1", RunAt = T0, ConcurrencyKey = "K" },
            new NewJob { Name = "b", Queue = "q2", RunAt = T0, ConcurrencyKey = "K" },
        ], T0);

        // Another node's claim of q1 has taken K but not committed yet: this snapshot still sees no running job with K.
        await using var other = new NpgsqlConnection(_factory.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var claim = new NpgsqlCommand(_factory.Database.Sql.Claim, other, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = "q1", NpgsqlDbType = NpgsqlDbType.Text });
            claim.Parameters.Add(new NpgsqlParameter { Value = 10, NpgsqlDbType = NpgsqlDbType.Integer });
            claim.Parameters.Add(new NpgsqlParameter { Value = "other", NpgsqlDbType = NpgsqlDbType.Text });
            claim.Parameters.Add(new NpgsqlParameter { Value = (T0 + TimeSpan.FromMinutes(1)).UtcTicks, NpgsqlDbType = NpgsqlDbType.Bigint });
            claim.Parameters.Add(new NpgsqlParameter { Value = T0.UtcTicks, NpgsqlDbType = NpgsqlDbType.Bigint });
            claim.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text }); // any name
            claim.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer }); // no queue limit
            await using var reader = await claim.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
        }

        var request = new ClaimRequest { Queue = "q2", MaxCount = 10, Owner = "me", Now = T0, LeaseDuration = TimeSpan.FromMinutes(1) };
        Assert.Empty(await store.ClaimAsync(request));

        await transaction.CommitAsync();
        Assert.Empty(await store.ClaimAsync(request)); // committed: K runs in q1
    }

    [Fact]
    public async Task A_capped_queue_claim_waits_for_an_uncommitted_claim_of_the_queue_and_counts_its_jobs()
    {
        var store = _factory.JobStore;
        await store.EnqueueAsync([.. Enumerable.Range(0, 10).Select(i => new NewJob { Name = $"j{i}", Queue = "capped", RunAt = T0 })], T0);
        var sql = _factory.Database.Sql;

        // Another node's capped claim has taken 3 jobs of the queue but not committed: a snapshot taken now sees none
        // running, so a claim that did not wait for the queue's lock would take 4 more.
        await using var other = new NpgsqlConnection(_factory.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var queueLock = new NpgsqlCommand(sql.QueueLock, other, transaction))
        {
            queueLock.Parameters.Add(new NpgsqlParameter { Value = sql.QueueLockKey + "capped", NpgsqlDbType = NpgsqlDbType.Text });
            await queueLock.ExecuteNonQueryAsync();
        }

        await using (var claim = new NpgsqlCommand(sql.Claim, other, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = "capped", NpgsqlDbType = NpgsqlDbType.Text });
            claim.Parameters.Add(new NpgsqlParameter { Value = 3, NpgsqlDbType = NpgsqlDbType.Integer });
            claim.Parameters.Add(new NpgsqlParameter { Value = "other", NpgsqlDbType = NpgsqlDbType.Text });
            claim.Parameters.Add(new NpgsqlParameter { Value = (T0 + TimeSpan.FromMinutes(1)).UtcTicks, NpgsqlDbType = NpgsqlDbType.Bigint });
            claim.Parameters.Add(new NpgsqlParameter { Value = T0.UtcTicks, NpgsqlDbType = NpgsqlDbType.Bigint });
            claim.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            claim.Parameters.Add(new NpgsqlParameter { Value = 4, NpgsqlDbType = NpgsqlDbType.Integer });
            await using var reader = await claim.ExecuteReaderAsync();
            var taken = 0;
            while (await reader.ReadAsync())
            {
                taken++;
            }

            Assert.Equal(3, taken);
        }

        var request = new ClaimRequest { Queue = "capped", MaxCount = 10, Owner = "me", Now = T0, LeaseDuration = TimeSpan.FromMinutes(1), QueueLimit = 4 };
        var waiting = store.ClaimAsync(request).AsTask();

        // The signal that the claim is queued behind the lock: the server reports a backend waiting for an advisory lock.
        await using (var observer = new NpgsqlConnection(_factory.ConnectionString))
        {
            await observer.OpenAsync();
            await using var blocked = new NpgsqlCommand(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 " +
                "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)", observer);
            blocked.Parameters.Add(new NpgsqlParameter { Value = sql.QueueLockKey + "capped", NpgsqlDbType = NpgsqlDbType.Text });
            while ((long)(await blocked.ExecuteScalarAsync())! == 0)
            {
                Assert.False(waiting.IsCompleted, "The capped claim did not wait for the uncommitted claim of its queue.");
                await Task.Yield();
            }
        }

        Assert.False(waiting.IsCompleted);
        await transaction.CommitAsync();
        Assert.Single(await waiting.WaitAsync(TimeSpan.FromSeconds(30))); // 3 running, limit 4
    }

    [Fact]
    public async Task A_version_1_schema_is_migrated_with_its_jobs_kept_facts_empty_and_a_key_limit_of_one()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        var sql = new PostgresSql(schema);
        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();

        // The schema as the first release left it: migration 1 only, with a keyed pending job in it.
        await using (var create = new NpgsqlCommand(
            sql.CreateSchema + "; " + sql.Migrations[0] + $"; UPDATE \"{schema}\".schema_version SET version = 1; " +
            $"INSERT INTO \"{schema}\".jobs (name, queue, state, run_at, created_at, max_attempts, concurrency_key) VALUES ('old', 'default', 1, 0, 0, 3, 'k'); " +
            $"INSERT INTO \"{schema}\".concurrency_keys (key) VALUES ('k')", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            await using var database = new PostgresDatabase(Options.Create(new PostgresStoreOptions { ConnectionString = _factory.ConnectionString, Schema = schema }));
            var store = new PostgresJobStore(database);
            var old = Assert.Single(await store.ListAsync(new JobQuery { Limit = 10 }));
            Assert.Equal(1, old.ConcurrencyLimit);
            Assert.Null(old.FirstStartedAt);
            Assert.Null(old.OccurrenceAt);
            Assert.Null(old.ContinuationOf);

            var claimed = Assert.Single(await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = TimeSpan.FromMinutes(1) }));
            Assert.Equal(old.Id, claimed.Id);
            Assert.Equal(T0, (await store.GetAsync(old.Id))!.FirstStartedAt);
            await using var version = new NpgsqlCommand(sql.ReadVersion, connection);
            Assert.Equal(PostgresSchema.CurrentVersion, (int)(await version.ExecuteScalarAsync())!);
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
