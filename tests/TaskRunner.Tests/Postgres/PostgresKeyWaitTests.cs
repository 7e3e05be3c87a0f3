using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using TaskRunner.Postgres;

namespace TaskRunner.Tests.Postgres;

/// <summary>Jobs behind a busy concurrency key wait outside the claim index (schema migration 4, <c>key_wait</c>): who
/// waits, who is given a freed slot, that N stays exact with several pools taking and giving slots at once, and the
/// upgrade of a version 3 schema with jobs already queued behind keys.</summary>
public sealed class PostgresKeyWaitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task Jobs_behind_a_full_key_wait_and_a_freed_slot_goes_to_the_first_waiting_job_in_claim_order()
    {
        var store = _factory.JobStore;
        var ids = (await store.EnqueueAsync(
        [
            new NewJob { Name = "holder", Queue = "a", RunAt = T0, ConcurrencyKey = "K", ConcurrencyLimit = 2 },
            new NewJob { Name = "second", Queue = "a", RunAt = T0, ConcurrencyKey = "K", ConcurrencyLimit = 2 },
            new NewJob { Name = "low", Queue = "b", RunAt = T0 - TimeSpan.FromSeconds(1), ConcurrencyKey = "K", ConcurrencyLimit = 2 },
            new NewJob { Name = "high", Queue = "b", RunAt = T0, Priority = 5, ConcurrencyKey = "K", ConcurrencyLimit = 2 },
            new NewJob { Name = "free", Queue = "b", RunAt = T0 },
        ], T0)).Select(r => r.Id.Value).ToArray();

        // The first two take K's two slots as they arrive; the others wait, whatever their priority.
        Assert.Equal(new[] { false, false, true, true, false }, await KeyWaitAsync(ids));
        var b = new ClaimRequest { Queue = "b", MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease };
        Assert.Equal(["free"], (await store.ClaimAsync(b)).Select(j => j.Name));

        // A holder that runs and is released keeps its slot; one that finishes gives it to "high" (first in claim order:
        // priority before run-at), in another queue.
        var a = await store.ClaimAsync(new ClaimRequest { Queue = "a", MaxCount = 1, Owner = "w", Now = T0, LeaseDuration = Lease });
        var holder = Assert.Single(a);
        await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(holder.Id, holder.LeaseToken)], Now = T0 });
        Assert.Equal(new[] { false, false, true, true, false }, await KeyWaitAsync(ids));
        holder = Assert.Single(await store.ClaimAsync(new ClaimRequest { Queue = "a", MaxCount = 1, Owner = "w", Now = T0, LeaseDuration = Lease }));
        await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(holder.Id, holder.LeaseToken)], Now = T0 });
        Assert.Equal(new[] { false, false, true, false, false }, await KeyWaitAsync(ids));
        Assert.Equal(["high"], (await store.ClaimAsync(b)).Select(j => j.Name));

        // Cancelling a pending holder gives its slot too; cancelling a waiting job gives nothing.
        Assert.Equal(CancelResult.Cancelled, await store.CancelAsync(new JobId(ids[1]), T0));
        Assert.Equal(["low"], (await store.ClaimAsync(b)).Select(j => j.Name));
    }

    [Fact]
    public async Task A_job_promoted_or_requeued_into_a_full_key_waits_and_a_dead_lettered_holder_gives_its_slot()
    {
        var store = _factory.JobStore;
        var running = (await store.EnqueueAsync([new NewJob { Name = "running", RunAt = T0, ConcurrencyKey = "K", MaxAttempts = 1 }], T0))[0].Id;
        Assert.Single(await store.ClaimAsync(Claim(T0)));
        var later = (await store.EnqueueAsync([new NewJob { Name = "later", RunAt = T0 + TimeSpan.FromMinutes(1), ConcurrencyKey = "K" }], T0))[0].Id;

        // Due now, promoted by the claim into a key still held: it waits instead of being claimed.
        Assert.Empty(await store.ClaimAsync(Claim(T0 + TimeSpan.FromMinutes(1))));
        Assert.Equal(new[] { true }, await KeyWaitAsync([later.Value]));

        // The holder's lease expires on its last attempt: dead-lettered, its slot goes to the waiting job.
        var expired = T0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal(1, (await store.RecoverExpiredLeasesAsync(expired, 100)).DeadLettered);
        Assert.Equal(later, Assert.Single(await store.ClaimAsync(Claim(expired))).Id);

        // Requeued while "later" runs: the dead letter waits.
        Assert.True(await store.RequeueAsync(running, expired));
        Assert.Equal(new[] { true }, await KeyWaitAsync([running.Value]));
        Assert.Empty(await store.ClaimAsync(Claim(expired)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Concurrent_pools_enqueueing_claiming_and_completing_one_key_never_run_more_than_its_limit_and_run_every_job(int limit)
    {
        const int Workers = 4;
        const int Jobs = 120;
        var stores = Enumerable.Range(0, Workers).Select(_ => (IJobStore)new PostgresJobStore(_factory.OpenDatabase())).ToArray();
        var observedRunning = new ConcurrentBag<long>();
        var done = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Each pool enqueues its share in small calls while all of them claim and complete: slots are taken (insert) and
        // given (completion) on every pool at once, and every job must still run.
        var enqueuers = stores.Select((store, w) => Task.Run(async () =>
        {
            for (var i = 0; i < Jobs / Workers; i += 3)
            {
                await store.EnqueueAsync(
                    [.. Enumerable.Range(i, 3).Select(n => new NewJob { Name = $"j{w}-{n}", RunAt = T0, Priority = n % 4, ConcurrencyKey = "K", ConcurrencyLimit = limit })],
                    T0,
                    timeout.Token);
            }
        }));
        var workers = stores.Select((store, w) => Task.Run(async () =>
        {
            await using var observer = new NpgsqlConnection(_factory.ConnectionString);
            await observer.OpenAsync(timeout.Token);
            while (Volatile.Read(ref done) < Jobs)
            {
                var claimed = await store.ClaimAsync(
                    new ClaimRequest { Queue = JobOptions.DefaultQueue, MaxCount = 2, Owner = $"w{w}", Now = T0, LeaseDuration = Lease }, timeout.Token);
                if (claimed.Count == 0)
                {
                    await Task.Yield();
                    continue;
                }

                // What the server holds as running with K right after this claim committed (a snapshot: never over the limit).
                await using (var count = new NpgsqlCommand($"SELECT count(*) FROM \"{_factory.Schema}\".jobs WHERE concurrency_key = 'K' AND state = 2", observer))
                {
                    observedRunning.Add((long)(await count.ExecuteScalarAsync(timeout.Token))!);
                }

                await store.CompleteAsync(
                    new CompleteRequest { Completions = [.. claimed.Select(j => JobCompletion.Succeeded(j.Id, j.LeaseToken))], Now = T0 }, timeout.Token);
                Interlocked.Add(ref done, claimed.Count);
            }
        }));

        await Task.WhenAll(enqueuers.Concat(workers));

        Assert.Equal(Jobs, (await _factory.JobStore.CountAsync(null)).Succeeded);
        Assert.NotEmpty(observedRunning);
        Assert.True(observedRunning.Max() <= limit, $"{observedRunning.Max()} jobs with K ran at once; its limit is {limit}.");
        Assert.Contains(observedRunning, n => n >= 1);
    }

    [Fact]
    public async Task A_version_3_schema_is_migrated_with_jobs_behind_busy_keys_marked_waiting_in_claim_order()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        var sql = new PostgresSql(schema);
        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();

        // Version 3 as it was: K (limit 2) has one running job and three pending ones; L (limit 1) one pending; M none.
        var s = $"\"{schema}\"";
        await using (var create = new NpgsqlCommand(
            sql.CreateSchema + "; " + sql.Migrations[0] + "; " + sql.Migrations[1] + "; " + sql.Migrations[2] + $"; UPDATE {s}.schema_version SET version = 3; " +
            $"INSERT INTO {s}.jobs (name, queue, state, priority, run_at, created_at, max_attempts, concurrency_key, concurrency_limit, owner, lease_token, lease_expires_at, attempts) VALUES " +
            $"('running', 'default', 2, 0, 0, 0, 3, 'K', 2, 'w', 1, {(T0 + Lease).UtcTicks}, 1), " +
            $"('k-late', 'default', 1, 0, 5, 0, 3, 'K', 2, NULL, 0, NULL, 0), " +
            $"('k-first', 'default', 1, 9, 7, 0, 3, 'K', 2, NULL, 0, NULL, 0), " +
            $"('k-early', 'default', 1, 0, 1, 0, 3, 'K', 2, NULL, 0, NULL, 0), " +
            $"('l', 'default', 1, 0, 2, 0, 3, 'L', 1, NULL, 0, NULL, 0); " +
            $"INSERT INTO {s}.concurrency_keys (key, running) VALUES ('K', 1), ('L', 0)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            await using var database = new PostgresDatabase(Options.Create(new PostgresStoreOptions { ConnectionString = _factory.ConnectionString, Schema = schema }));
            var store = new PostgresJobStore(database);
            Assert.Equal(["k-first", "l"], (await store.ClaimAsync(Claim(T0))).Select(j => j.Name));

            await using var waiting = new NpgsqlCommand($"SELECT name FROM {s}.jobs WHERE key_wait AND state = 1 ORDER BY name", connection);
            var names = new List<string>();
            await using (var reader = await waiting.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    names.Add(reader.GetString(0));
                }
            }

            Assert.Equal(["k-early", "k-late"], names);
            await using var version = new NpgsqlCommand(sql.ReadVersion, connection);
            Assert.Equal(PostgresSchema.CurrentVersion, (int)(await version.ExecuteScalarAsync())!);
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {s} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static ClaimRequest Claim(DateTimeOffset now) =>
        new() { Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = now, LeaseDuration = Lease };

    private async Task<bool[]> KeyWaitAsync(long[] ids)
    {
        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT key_wait FROM \"{_factory.Schema}\".jobs WHERE id = ANY($1) ORDER BY array_position($1, id)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var values = new List<bool>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetBoolean(0));
        }

        return [.. values];
    }
}
