using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Sqlite;

/// <summary>A poll whose store call failed proves nothing: the next poll claims again, even when no process wrote since.</summary>
public sealed class SqliteFailedPollTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_claim_that_failed_on_a_write_lock_held_past_the_busy_timeout_is_retried_by_the_next_poll_and_the_due_jobs_run()
    {
        // This process's connections give up on a busy file after 300 ms (spread over the attempts) instead of 5 s. The
        // store's change watcher reads data_version on the host's fake clock: on the real clock it saw the other process's
        // enqueue within 50 ms, and when the loaded test thread took longer than that to take the lock, the poll it woke
        // claimed before the lock and the poll meant to fail on it skipped its claim (nothing changed since).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
        using var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = _factory.Path, BusyTimeout = TimeSpan.FromMilliseconds(300) }), timeProvider: time);
        var store = new SqliteJobStore(database);
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.Configure(o => o.StaleLeaseCheckInterval = TimeSpan.FromHours(1)); // no maintenance write moves data_version
            },
            time,
            services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));

        // Idle polls until one has read the change version and the next skips the claim on it.
        host.AdvanceToNextPoll();
        host.AdvanceToNextPoll();

        // Another process enqueues (data_version moves), then a third holds the write lock. The jobs fall due only when
        // the test moves the clock: the store's change watcher wakes the poller at once, and a claim before the lock is
        // taken must find nothing (it once ran them all, and the test saw Succeeded where it expected Pending).
        var other = _factory.OpenSharedJobStore();
        var now = host.Time.GetUtcNow();
        var enqueued = await other.EnqueueAsync(
            [.. Enumerable.Range(0, 3).Select(i => new NewJob { Name = "work", Payload = System.Text.Encoding.UTF8.GetBytes($"{{\"key\":\"j{i}\"}}"), RunAt = now.AddMilliseconds(1) })], now);
        var ids = enqueued.Select(r => r.Id).ToArray();
        using var lockHolder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _factory.Path, Pooling = false }.ToString());
        lockHolder.Open();
        Execute(lockHolder, "BEGIN IMMEDIATE");

        // The poll sees the new version, and its claim fails on the lock past the busy timeout.
        host.AdvanceToNextPoll();
        Assert.True(SpinWait.SpinUntil(() => host.Monitor.LastStoreError is not null && host.Poller().IsSleeping, TimeSpan.FromSeconds(20)), "the claim should fail on the held lock");
        var error = Assert.IsType<JobStoreException>(host.Monitor.LastStoreError);
        Assert.True(error.IsTransient);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Scheduled, (await store.GetAsync(id))!.State); // not claimed
        }

        // The holder lets go without writing: data_version does not move, yet the next poll must claim.
        Execute(lockHolder, "ROLLBACK");
        var succeeded = Task.WhenAll(ids.Select(id => host.Events.WaitFor(JobEventKind.Succeeded, id)));
        for (var i = 0; i < 3 && !succeeded.IsCompleted; i++)
        {
            if (await UnclaimedAsync(store, ids))
            {
                host.AdvanceToNextPoll();
            }
        }

        await succeeded;
        Assert.Null(host.Monitor.LastStoreError); // the successful claim cleared it
        Assert.Equal(CircuitBreakerState.Closed, host.Monitor.CircuitState);
    }

    private static async Task<bool> UnclaimedAsync(IJobStore store, JobId[] ids)
    {
        foreach (var id in ids)
        {
            if ((await store.GetAsync(id))!.State is JobState.Pending or JobState.Scheduled)
            {
                return true;
            }
        }

        return false;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant SQL of the test.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }
}
