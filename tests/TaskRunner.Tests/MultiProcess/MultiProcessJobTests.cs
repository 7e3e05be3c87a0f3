using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>Jobs on one SQLite file served by several real worker processes.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessJobTests(ITestOutputHelper output)
{
    // Bounds for a process that is stuck, not timings: six .NET processes starting at once on two loaded cores took over
    // 60 s to print "ready" when three test runs shared the machine.
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Three_worker_processes_on_one_file_run_twenty_thousand_jobs_exactly_once()
    {
        const int JobCount = 20_000;
        const int EnqueueBatch = 1_000;
        await using var db = await SharedDatabase.CreateAsync();
        var logs = Enumerable.Range(0, 3).Select(i => db.File($"worker{i}.log")).ToArray();
        // Another process's enqueue wakes no worker: each finds the jobs by polling. With the default idle backoff a worker
        // idle since its start may sleep through the whole run (the other two drain 20,000 jobs in about a second) and
        // run none; polling at least every 50 ms while idle, each is sure to claim some while the queue is full.
        // A 60 s lease renewed every 2 s (the worker's default is 5 s): at load 30-70 a full suite run saw 16 of the 20,000
        // jobs run twice, their leases lapsed while SQLite writes waited seconds for the write lock. Exactly once is the
        // rule here; a lease that load alone can lapse is not.
        var workers = logs.Select(log => db.StartWorker(
            "work", "--log", log, "--expect", JobCount.ToString(CultureInfo.InvariantCulture), "--concurrency", "16", "--batch", "128", "--max-idle-ms", "50",
            "--lease-ms", "60000", "--heartbeat-ms", "2000")).ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(Startup);
        }

        var clock = Stopwatch.StartNew();

        // Enqueued while all three poll, in batches, so the workers claim from a growing queue as they would in production.
        var valueById = new Dictionary<long, long>();
        for (var start = 0; start < JobCount; start += EnqueueBatch)
        {
            var ids = await db.Client.EnqueueManyAsync(Enumerable.Range(start, EnqueueBatch).Select(v => new Record(v)));
            for (var i = 0; i < ids.Count; i++)
            {
                valueById.Add(ids[i].Value, start + i);
            }
        }

        output.WriteLine($"enqueued {JobCount} jobs in {clock.Elapsed}");

        // Each worker exits by itself once the store holds every job as succeeded.
        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(Finish);
        }

        output.WriteLine($"all workers exited after {clock.Elapsed}");

        var completions = workers.Select((worker, i) => (Worker: worker, Lines: ReadLog(logs[i]))).ToArray();
        var all = completions.SelectMany(c => c.Lines).ToList();
        Assert.Equal(JobCount, all.Count);
        var duplicates = all.GroupBy(line => line.JobId).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        Assert.True(duplicates.Count == 0, $"Jobs completed more than once: {string.Join(", ", duplicates)}");
        foreach (var line in all)
        {
            // Each job ran its own payload, in a process that served this database.
            Assert.Equal(valueById[line.JobId], line.Value);
        }

        foreach (var (worker, lines) in completions)
        {
            output.WriteLine($"worker {worker.Id} ran {lines.Count} jobs");
            Assert.All(lines, line => Assert.Equal(worker.Id, line.ProcessId));
            Assert.True(lines.Count > 0, $"Worker {worker.Id} ran no job: the three processes did not share the work.");
        }

        var counts = await db.Store.CountAsync(null);
        Assert.Equal(JobCount, counts.Succeeded);
        Assert.Equal(JobCount, counts.Total);
    }

    [Fact]
    public async Task A_job_whose_worker_is_killed_mid_run_is_completed_by_another_process_and_the_old_lease_is_rejected()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var crashing = db.StartWorker("crash", "--lease-ms", "2000");
        await crashing.WaitUntilReadyAsync(Startup);
        var id = await db.Client.EnqueueAsync(new Record(7), new JobOptions { MaxAttempts = 3 });
        await crashing.WaitForLineAsync(line => line == $"running {id} 1", TimeSpan.FromSeconds(30));

        var lost = (await db.Store.GetAsync(id))!;
        Assert.Equal(JobState.Running, lost.State);
        Assert.Equal($"crash-{crashing.Id}", lost.Owner);

        // SIGKILL: no shutdown code runs, so the lease stays in the store until it expires.
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
        Assert.Equal(2, done.Attempts); // the killed attempt counts
        Assert.True(done.LeaseToken > lost.LeaseToken, $"The new claim's token {done.LeaseToken} is not above the lost one {lost.LeaseToken}.");
        var line = Assert.Single(ReadLog(log));
        Assert.Equal((id.Value, 7L, rescuer.Id), (line.JobId, line.Value, line.ProcessId));

        // The killed worker's reports, arriving late under its old lease token, change nothing.
        var now = DateTimeOffset.UtcNow;
        var rejected = await db.Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, lost.LeaseToken), JobCompletion.Failed(id, lost.LeaseToken, new JobError("Late", "late"), now)], Now = now });
        Assert.Equal([id, id], rejected);
        Assert.False(await db.Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, lost.LeaseToken), Percent = 99, Message = "late", Now = now }));
        var after = (await db.Store.GetAsync(id))!;
        Assert.Equal(
            (done.State, done.Owner, done.LeaseToken, done.Attempts, done.FinishedAt, done.ProgressPercent),
            (after.State, after.Owner, after.LeaseToken, after.Attempts, after.FinishedAt, after.ProgressPercent));
    }

    [Fact]
    public async Task Six_prefetching_processes_contending_for_one_file_never_run_a_finished_job_twice()
    {
        // Built to stress report latency (issue 9, item 2): prefetch, more processes than cores, six processes contending
        // for one SQLite write lock, so a claim, a heartbeat or a batch of reports can wait a long time for it; no kills.
        // A job must stay leased from its claim until its outcome is stored, or another process's recovery hands it out
        // again and a finished handler runs a second time. That rule is tested deterministically on a fake clock
        // (PrefetchTests, ReportLeaseTests); here the processes must agree on every job under real contention.
        // The lease is 60 s, renewed every 2 s, so only a store that lets no renewal through for 58 s lapses one. With
        // 5 s leases, three runs at once at load 50-90 ran 64 and 168 finished jobs twice: the workers logged writes
        // (heartbeats, claims) that waited beyond the 5 s busy timeout and its 2 retries for the write lock, which a
        // process descheduled mid-transaction holds; no heartbeat covers that, and it is load, not the rule under test.
        const int WarmUp = 120;
        const int JobCount = 3_000;
        const int Total = WarmUp + JobCount;
        const int Processes = 6;
        await using var db = await SharedDatabase.CreateAsync();
        var logs = Enumerable.Range(0, Processes).Select(i => db.File($"worker{i}.log")).ToArray();
        var workers = logs.Select(log => db.StartWorker(
            "work", "--log", log, "--expect", Total.ToString(CultureInfo.InvariantCulture), "--concurrency", "4", "--batch", "32",
            "--prefetch", "64", "--lease-ms", "60000", "--heartbeat-ms", "2000", "--stale-ms", "1000", "--max-idle-ms", "50")).ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(Startup);
        }

        // A few jobs first, so six processes compiling their hot paths at once on two cores is not part of the measure.
        var ids = (await db.Client.EnqueueManyAsync(Enumerable.Range(0, WarmUp).Select(v => new Record(v)))).Select(id => id.Value).ToHashSet();
        await WaitForSucceededAsync(db.Store, WarmUp, Finish);

        var clock = Stopwatch.StartNew();
        for (var start = WarmUp; start < Total; start += 500)
        {
            foreach (var id in await db.Client.EnqueueManyAsync(Enumerable.Range(start, 500).Select(v => new Record(v))))
            {
                ids.Add(id.Value);
            }
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(Finish);
        }

        output.WriteLine($"all workers exited after {clock.Elapsed}");
        foreach (var worker in workers.Where(w => w.StandardError.Length > 0))
        {
            // Warnings say why a lease was lost (e.g. a heartbeat that failed), should a job run twice.
            output.WriteLine($"worker {worker.Id} stderr: {worker.StandardError[..Math.Min(worker.StandardError.Length, 2000)]}");
        }

        var all = logs.SelectMany(ReadLog).ToList();
        var duplicates = all.GroupBy(line => line.JobId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(
            duplicates.Count == 0,
            $"{duplicates.Count} finished jobs ran again in another process, e.g. {string.Join(", ", duplicates.Take(10))}.");
        Assert.Equal(ids.Order(), all.Select(line => line.JobId).Order());
        var counts = await db.Store.CountAsync(null);
        Assert.Equal(Total, counts.Succeeded);
        Assert.Equal(Total, counts.Total);
        var succeeded = await db.Store.ListAsync(new JobQuery { State = JobState.Succeeded, Limit = Total });
        Assert.All(succeeded, job => Assert.Equal(1, job.Attempts));
    }

    private static async Task WaitForSucceededAsync(IJobStore store, int count, TimeSpan timeout)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var deadline = Stopwatch.StartNew();
        while ((await store.CountAsync(null)).Succeeded < count)
        {
            Assert.True(deadline.Elapsed < timeout, $"Fewer than {count} jobs succeeded within {timeout}.");
            await timer.WaitForNextTickAsync();
        }
    }

    private static List<(long JobId, long Value, int ProcessId)> ReadLog(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Select(line =>
            {
                var parts = line.Split(' ');
                return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
            }).ToList()
            : [];
}
