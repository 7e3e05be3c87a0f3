using System.Diagnostics;
using System.Globalization;
using TaskRunner.Tests.MultiProcess;
using Xunit.Abstractions;
using Record = TaskRunner.Tests.MultiProcess.Record;

namespace TaskRunner.Tests.Postgres;

/// <summary>Real worker processes (tests/TaskRunner.WorkerHost with <c>--postgres</c>) sharing one PostgreSQL schema:
/// jobs run exactly once, a SIGKILLed worker's job is recovered and its old lease rejected, a lock excludes, a
/// per-second schedule shared by three schedulers runs exactly one job per occurrence.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class PostgresMultiProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task Three_worker_processes_on_one_database_run_ten_thousand_jobs_exactly_once()
    {
        const int JobCount = 10_000;
        const int EnqueueBatch = 1_000;
        await using var db = await SharedDatabase.CreatePostgresAsync(_factory.ConnectionString, _factory.Schema);
        var logs = Enumerable.Range(0, 3).Select(i => db.File($"worker{i}.log")).ToArray();
        var workers = logs.Select(log => db.StartWorker(
            "work", "--log", log, "--expect", JobCount.ToString(CultureInfo.InvariantCulture), "--concurrency", "16", "--batch", "128", "--max-idle-ms", "50",
            // Long leases: on a loaded machine with a slow fsync, jobs claimed ahead of a free slot can wait past a short
            // lease (the renewal of prefetched leases is H2's work); this test is about exactly-once claims, not recovery.
            "--lease-ms", "30000")).ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(Startup);
        }

        var clock = Stopwatch.StartNew();
        var valueById = new Dictionary<long, long>();
        for (var start = 0; start < JobCount; start += EnqueueBatch)
        {
            var ids = await db.Client.EnqueueManyAsync(Enumerable.Range(start, EnqueueBatch).Select(v => new Record(v)));
            for (var i = 0; i < ids.Count; i++)
            {
                valueById.Add(ids[i].Value, start + i);
            }
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(120));
        }

        output.WriteLine($"{JobCount} jobs enqueued and run by three processes in {clock.Elapsed}");
        var completions = workers.Select((worker, i) => (Worker: worker, Lines: ReadLog(logs[i]))).ToArray();
        var all = completions.SelectMany(c => c.Lines).ToList();
        Assert.Equal(JobCount, all.Count);
        var duplicates = all.GroupBy(line => line.JobId).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        Assert.True(duplicates.Count == 0, $"Jobs completed more than once: {string.Join(", ", duplicates)}");
        Assert.All(all, line => Assert.Equal(valueById[line.JobId], line.Value));
        foreach (var (worker, lines) in completions)
        {
            output.WriteLine($"worker {worker.Id} ran {lines.Count} jobs");
            Assert.True(lines.Count > 0, $"Worker {worker.Id} ran no job: the three processes did not share the work.");
        }

        var counts = await db.Store.CountAsync(null);
        Assert.Equal(JobCount, counts.Succeeded);
        Assert.Equal(JobCount, counts.Total);
    }

    [Fact]
    public async Task A_job_whose_worker_is_killed_mid_run_is_completed_by_another_process_and_the_old_lease_is_rejected()
    {
        await using var db = await SharedDatabase.CreatePostgresAsync(_factory.ConnectionString, _factory.Schema);
        var crashing = db.StartWorker("crash", "--lease-ms", "2000");
        await crashing.WaitUntilReadyAsync(Startup);
        var id = await db.Client.EnqueueAsync(new Record(7), new JobOptions { MaxAttempts = 3 });
        await crashing.WaitForLineAsync(line => line == $"running {id} 1", TimeSpan.FromSeconds(30));
        var lost = (await db.Store.GetAsync(id))!;
        Assert.Equal(JobState.Running, lost.State);

        await crashing.KillAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(JobState.Running, (await db.Store.GetAsync(id))!.State);

        var log = db.File("rescuer.log");
        // The rescuer's own lease is long: the killed worker's 2 s lease is the one under test, and under load a 2 s lease
        // of the rescuer lapsed too (a third attempt, seen at load 30 in a full suite run).
        var rescuer = db.StartWorker("work", "--log", log, "--expect", "1", "--lease-ms", "60000", "--stale-ms", "200");
        await rescuer.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(60));

        var done = (await db.Store.GetAsync(id))!;
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal($"work-{rescuer.Id}", done.Owner);
        Assert.Equal(2, done.Attempts);
        Assert.True(done.LeaseToken > lost.LeaseToken, $"The new claim's token {done.LeaseToken} is not above the lost one {lost.LeaseToken}.");
        Assert.Equal((id.Value, 7L, rescuer.Id), Assert.Single(ReadLog(log)));

        var now = DateTimeOffset.UtcNow;
        Assert.Equal([id], await db.Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, lost.LeaseToken, new JobError("Late", "late"), now)], Now = now }));
        Assert.False(await db.Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, lost.LeaseToken), Percent = 99, Message = "late", Now = now }));
        var after = (await db.Store.GetAsync(id))!;
        Assert.Equal((done.State, done.LeaseToken, done.Attempts, done.FinishedAt), (after.State, after.LeaseToken, after.Attempts, after.FinishedAt));
    }

    [Fact]
    public async Task Three_processes_contending_for_one_lock_never_overlap_and_get_strictly_increasing_fencing_tokens()
    {
        const int Processes = 3;
        const int Iterations = 50;
        await using var db = await SharedDatabase.CreatePostgresAsync(_factory.ConnectionString, _factory.Schema);
        var log = db.File("lock.log");
        var workers = Enumerable.Range(0, Processes)
            .Select(_ => db.StartWorker("lock", "--log", log, "--name", "shared-resource", "--iterations", Iterations.ToString(CultureInfo.InvariantCulture)))
            .ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(Startup);
        }

        foreach (var worker in workers)
        {
            await worker.SendLineAsync("go");
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(90));
        }

        var lines = File.ReadAllLines(log).Select(line => line.Split(' ')).Select(p => (Kind: p[0], Token: long.Parse(p[1], CultureInfo.InvariantCulture), ProcessId: int.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(Processes * Iterations * 2, lines.Count);
        long previousToken = 0;
        for (var i = 0; i < lines.Count; i += 2)
        {
            var (enter, exit) = (lines[i], lines[i + 1]);
            Assert.True(enter.Kind == "enter" && exit.Kind == "exit" && enter.Token == exit.Token && enter.ProcessId == exit.ProcessId, $"Critical sections overlap at log line {i + 1}: {enter} then {exit}.");
            Assert.True(enter.Token > previousToken, $"Fencing token {enter.Token} at log line {i + 1} does not exceed the previous holder's {previousToken}.");
            previousToken = enter.Token;
        }
    }

    [Fact]
    public async Task Three_processes_with_a_per_second_schedule_run_exactly_one_job_per_occurrence()
    {
        const int Occurrences = 10;
        await using var db = await SharedDatabase.CreatePostgresAsync(_factory.ConnectionString, _factory.Schema);
        var logs = Enumerable.Range(0, 3).Select(i => db.File($"scheduler{i}.log")).ToArray();
        var workers = logs.Select(log => db.StartWorker("schedule", "--log", log)).ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(Startup);
        }

        // From the first whole second after all three run, every occurrence must have exactly one job and one run. This
        // takes real time: a per-second schedule needs 10 s for 10 occurrences.
        var now = DateTimeOffset.UtcNow;
        var first = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(2);
        var last = first.AddSeconds(Occurrences - 1);
        var lastRan = workers.Select(w => w.WaitForLineAsync(line => line.StartsWith("tick ", StringComparison.Ordinal) && Occurrence(line["tick ".Length..]) >= last, TimeSpan.FromSeconds(Occurrences + 30)));
        await await Task.WhenAny(lastRan);

        foreach (var worker in workers)
        {
            worker.CloseInput();
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(30));
        }

        for (var i = 0; i < logs.Length; i++)
        {
            output.WriteLine($"scheduler process {workers[i].Id} ran {(File.Exists(logs[i]) ? File.ReadAllLines(logs[i]).Length : 0)} occurrences");
        }

        var runs = logs.Where(File.Exists).SelectMany(File.ReadAllLines).Select(line => line.Split(' ')).Select(p => (Occurrence: Occurrence(p[0]), JobId: long.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        var repeated = runs.GroupBy(r => r.Occurrence).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"Occurrences run more than once: {string.Join(", ", repeated)}");

        var ranInWindow = runs.Select(r => r.Occurrence).Where(o => o >= first && o <= last).ToHashSet();
        var missing = Enumerable.Range(0, Occurrences).Select(i => first.AddSeconds(i)).Where(o => !ranInWindow.Contains(o)).ToList();
        Assert.True(missing.Count == 0, $"Occurrences with no run between {first:O} and {last:O}: {string.Join(", ", missing.Select(m => m.ToString("O", CultureInfo.InvariantCulture)))}");

        // The store holds one job per occurrence: the scheduler's occurrence key is the job's idempotency key.
        var jobs = await db.Store.ListAsync(new JobQuery { Limit = 10_000 });
        var keys = jobs.Where(j => j.Name == "tick").Select(j => j.IdempotencyKey!).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        var stored = keys.Select(Occurrence).Where(o => o >= first && o <= last).Order().ToList();
        Assert.Equal(Enumerable.Range(0, Occurrences).Select(i => first.AddSeconds(i)), stored);
    }

    private static DateTimeOffset Occurrence(string key)
    {
        const string KeyPrefix = "schedule:tick:";
        Assert.StartsWith(KeyPrefix, key, StringComparison.Ordinal);
        return DateTimeOffset.Parse(key[KeyPrefix.Length..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    private static List<(long JobId, long Value, int ProcessId)> ReadLog(string path) =>
        File.Exists(path)
            ? [.. File.ReadAllLines(path).Select(line => line.Split(' ')).Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), long.Parse(p[1], CultureInfo.InvariantCulture), int.Parse(p[2], CultureInfo.InvariantCulture)))]
            : [];
}
