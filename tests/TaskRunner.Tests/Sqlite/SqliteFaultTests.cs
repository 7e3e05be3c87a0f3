using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Sqlite;

/// <summary>Faults of the file under a running store (issue 9, item 7): a corrupt page, a full disk, a growing WAL. The
/// full disk is a real one: a small tmpfs mounted for the test (the tests run as root, as CI does).</summary>
public sealed class SqliteFaultTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));

    public SqliteFaultTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_corrupt_page_met_at_run_time_is_a_permanent_store_error_naming_the_file()
    {
        var path = Path.Combine(_directory, "jobs.db");
        using (var first = Open(path))
        {
            var jobs = Enumerable.Range(0, 300).Select(i => new NewJob { Name = "work", Payload = new byte[512], RunAt = T0 }).ToList();
            await new SqliteJobStore(first).EnqueueAsync(jobs, T0);
        }

        // Garbage over the jobs table's root page; the schema (page 1) stays intact, so the store starts.
        var (root, pageSize) = ReadRootPage(path, "jobs");
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = (root - 1) * pageSize;
            await file.WriteAsync(Enumerable.Repeat((byte)0xA5, (int)pageSize).ToArray());
        }

        using var database = Open(path);
        await new SqliteStoreInitializer(database).InitializeAsync(CancellationToken.None);
        var store = new SqliteJobStore(database);

        var error = await Assert.ThrowsAsync<JobStoreException>(async () =>
            await store.ClaimAsync(new ClaimRequest { Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease }));

        Assert.False(error.IsTransient);
        Assert.Contains($"'{path}' is corrupt", error.Message, StringComparison.Ordinal);
        Assert.Equal(11, ((SqliteException)error.InnerException!).SqliteErrorCode & 0xFF); // SQLITE_CORRUPT
    }

    [Fact]
    public async Task A_full_disk_fails_enqueue_and_complete_as_transient_loses_nothing_accepted_and_works_again_once_space_is_freed()
    {
        var disk = Path.Combine(_directory, "disk");
        using var mounts = new LinuxMounts();
        mounts.Tmpfs(disk, 8 << 20);
        var path = Path.Combine(disk, "jobs.db");
        using var database = Open(path);
        var store = new SqliteJobStore(database);
        var accepted = (await store.EnqueueAsync(Enumerable.Range(0, 20).Select(i => Job(i)).ToList(), T0)).Select(r => r.Id).ToList();
        var claimed = await store.ClaimAsync(new ClaimRequest { Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease });
        Assert.Equal(10, claimed.Count);

        var filler = Path.Combine(disk, "filler");
        FillDisk(filler);

        var enqueueError = await Assert.ThrowsAsync<JobStoreException>(async () => await store.EnqueueAsync([Job(99, payloadBytes: 256 << 10)], T0));
        var completeError = await Assert.ThrowsAsync<JobStoreException>(async () =>
            await store.CompleteAsync(new CompleteRequest { Completions = claimed.Select(c => JobCompletion.Succeeded(c.Id, c.LeaseToken, new byte[8 << 10])).ToList(), Now = T0 }));

        foreach (var error in new[] { enqueueError, completeError })
        {
            Assert.True(error.IsTransient, error.Message);
            Assert.Contains($"database '{path}' is full", error.Message, StringComparison.Ordinal);
        }

        // Nothing accepted was lost or changed: the failed calls left no trace.
        var counts = await store.CountAsync(null);
        Assert.Equal(20, counts.Total);
        Assert.Equal(10, counts.Running);
        Assert.Equal(10, counts.Pending);

        File.Delete(filler);

        Assert.True(Assert.Single(await store.EnqueueAsync([Job(99, payloadBytes: 256 << 10)], T0)).Created);
        Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = claimed.Select(c => JobCompletion.Succeeded(c.Id, c.LeaseToken, new byte[8 << 10])).ToList(), Now = T0 }));
        counts = await store.CountAsync(null);
        Assert.Equal(10, counts.Succeeded);
        Assert.Equal(11, counts.Pending);
        foreach (var id in accepted)
        {
            Assert.NotNull(await store.GetAsync(id));
        }
    }

    [Fact]
    public async Task A_runner_on_a_full_disk_resumes_by_itself_once_space_is_freed_and_every_accepted_job_completes()
    {
        var disk = Path.Combine(_directory, "disk");
        using var mounts = new LinuxMounts();
        mounts.Tmpfs(disk, 8 << 20);
        var path = Path.Combine(disk, "jobs.db");
        var filler = Path.Combine(disk, "filler");
        await using var host = await RunnerHost.StartAsync(
            b => b.UseSqlite(path).AddJob<WorkHandler, Work>("work").AddQueue(JobOptions.DefaultQueue, q => q.UseFixedInterval(o => o.Interval = TimeSpan.FromSeconds(1))),
            services: s => s.AddSingleton<Probe>());
        var probe = host.Services.GetRequiredService<Probe>();

        // Accepted before the disk fills, due only after.
        var accepted = new List<JobId>();
        for (var i = 0; i < 20; i++)
        {
            accepted.Add(await host.Client.EnqueueAsync(new Work($"w{i}"), new JobOptions { Delay = TimeSpan.FromMinutes(1) }));
        }

        FillDisk(filler);
        var refused = await Assert.ThrowsAsync<JobStoreException>(async () => await host.Client.EnqueueAsync(new Work("refused", new string('x', 256 << 10))));
        Assert.True(refused.IsTransient, refused.Message);

        // The jobs come due while the disk is full: polls fail (the claim is a write).
        host.Time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 5; i++)
        {
            host.AdvanceToNextPoll();
        }

        Assert.Empty(probe.Runs);

        File.Delete(filler);
        var done = Task.WhenAll(accepted.Select(id => host.Events.WaitFor(JobEventKind.Succeeded, id)));
        var poller = host.Poller();
        for (var i = 0; i < 200 && !done.IsCompleted; i++)
        {
            // Move the clock to the poller's next wake-up whenever it sleeps on one; while it waits for a free slot (jobs
            // running in real time) there is nothing to move, so wait until it stops sleeping or everything is done.
            Assert.True(SpinWait.SpinUntil(() => done.IsCompleted || poller.IsSleeping, RunnerHost.Patience), "the poller should sleep or the jobs finish");
            var wakeAt = poller.WakeAt;
            if (!done.IsCompleted && wakeAt != DateTimeOffset.MaxValue && wakeAt > host.Time.GetUtcNow())
            {
                host.Time.SetUtcNow(wakeAt);
            }

            SpinWait.SpinUntil(() => done.IsCompleted || !poller.IsSleeping || poller.WakeAt != wakeAt, RunnerHost.Patience);
        }

        await done.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(20, probe.Runs.Select(r => r.Key).Distinct().Count());
        Assert.DoesNotContain(probe.Runs, r => r.Key == "refused");
    }

    [Fact]
    public async Task A_commit_that_takes_the_wal_past_its_size_limit_checkpoints_and_truncates_it()
    {
        var path = Path.Combine(_directory, "jobs.db");
        const long limit = 1 << 20;
        using var database = Open(path, limit);
        var store = new SqliteJobStore(database);
        await database.EnsureInitializedAsync(CancellationToken.None);

        long largest = 0;
        for (var i = 0; i < 40; i++)
        {
            await store.EnqueueAsync(Enumerable.Range(0, 10).Select(j => Job(j, payloadBytes: 16 << 10)).ToList(), T0); // ~160 KB a commit
            largest = Math.Max(largest, database.WalSize());
        }

        // Without the checkpoint SQLite's own would wait for 10,000 pages (~40 MB). With it the WAL never holds more than
        // the limit plus one commit (~41 pages) before it is cut back.
        Assert.True(largest <= limit + (256 << 10), $"WAL grew to {largest} bytes; limit {limit}");
        Assert.Equal(400, (await store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task An_idle_store_checkpoints_and_truncates_its_wal()
    {
        var path = Path.Combine(_directory, "jobs.db");
        var time = new FakeTimeProvider(T0);
        using var database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { Path = path }), timeProvider: time);
        var store = new SqliteJobStore(database);
        await store.EnqueueAsync(Enumerable.Range(0, 10).Select(j => Job(j, payloadBytes: 4 << 10)).ToList(), T0);
        Assert.True(database.WalSize() > 0);

        // The first tick sees the write (not idle yet); the next one, a second without writes, checkpoints.
        time.Advance(SqliteDatabase.IdleCheckpointDelay);
        Assert.True(database.WalSize() > 0);
        time.Advance(SqliteDatabase.IdleCheckpointDelay);

        Assert.Equal(0, database.WalSize());
        Assert.Equal(10, (await store.CountAsync(null)).Total);
    }

    private static NewJob Job(int i, int payloadBytes = 64) => new() { Name = "work", Payload = new byte[payloadBytes], RunAt = T0, UniqueKey = null, Tags = [$"t{i}"] };

    private static SqliteDatabase Open(string path, long walSizeLimit = 64L << 20) =>
        new(Options.Create(new SqliteStoreOptions { Path = path, WalSizeLimit = walSizeLimit }));

    /// <summary>Writes <paramref name="filler"/> until the file system has no byte left.</summary>
    private static void FillDisk(string filler)
    {
        using var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        var chunk = new byte[64 << 10];
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full. Smaller writes take the last partial chunk.
        }

        try
        {
            while (true)
            {
                stream.Write(chunk.AsSpan(0, 512));
            }
        }
        catch (IOException)
        {
        }

        Assert.True(new DriveInfo(Path.GetDirectoryName(filler)!).AvailableFreeSpace < 4096, "the disk should be full");
    }

    private static (long Root, long PageSize) ReadRootPage(string path, string table)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT rootpage FROM sqlite_schema WHERE name = $name), (SELECT page_size FROM pragma_page_size())";
        command.Parameters.AddWithValue("$name", table);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
