using System.Diagnostics;
using Quartz;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>--peer quartz</c>: the same e2e and latency measurements on Quartz.NET 4.7 with its in-memory (RAM) store and a
/// default thread pool of the given worker count. Each job is one trigger (<c>StartNow</c>) scheduled for one durable job
/// detail, the usual way to run a one-off job in Quartz.
/// </summary>
internal static class QuartzPeer
{
    private static RunCounter _counter = new();
    private static PingProbe _probe = new();

    public static async Task EndToEndAsync(int jobs, int workers)
    {
        _counter = new RunCounter();
        var (scheduler, job) = await StartAsync<NoopJob>(workers).ConfigureAwait(false);
        try
        {
            var warmup = Math.Clamp(jobs / 10, 1, 20_000);
            await RoundAsync(scheduler, job, warmup).ConfigureAwait(false);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var (started, lastStarted) = await RoundAsync(scheduler, job, jobs).ConfigureAwait(false);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Figures.Print("jobs_per_s", jobs / Stopwatch.GetElapsedTime(started, lastStarted).TotalSeconds);
            Figures.Print("allocated_bytes_per_job", (double)allocated / jobs);
        }
        finally
        {
            await scheduler.Shutdown(false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public static async Task LatencyAsync(int jobs, TimeSpan gap, int workers)
    {
        _probe = new PingProbe();
        var (scheduler, job) = await StartAsync<PingJob>(workers).ConfigureAwait(false);
        try
        {
            var latencies = new double[jobs];
            for (var i = -20; i < jobs; i++)
            {
                await Task.Delay(gap).ConfigureAwait(false);
                var started = _probe.Expect();
                var enqueued = Stopwatch.GetTimestamp();
                await scheduler.ScheduleJob(TriggerBuilder.Create(TimeProvider.System).ForJob(job).StartNow().Build(), default, CancellationToken.None).ConfigureAwait(false);
                var ran = await started.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                if (i >= 0)
                {
                    latencies[i] = Stopwatch.GetElapsedTime(enqueued, ran).TotalMicroseconds;
                }
            }

            Figures.PrintLatencies(latencies);
        }
        finally
        {
            await scheduler.Shutdown(false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<(IScheduler Scheduler, IJobDetail Job)> StartAsync<TJob>(int workers)
        where TJob : IJob
    {
        var scheduler = await QuartzSchedulerBuilder.Create(q =>
        {
            q.UseDefaultThreadPool(workers);
            q.UseInMemoryStore(_ => { });
        }).BuildScheduler(CancellationToken.None).ConfigureAwait(false);
        await scheduler.Start(CancellationToken.None).ConfigureAwait(false);
        var job = JobBuilder.Create<TJob>().WithIdentity(typeof(TJob).Name).StoreDurably(true).Build();
        await scheduler.AddJob(job, default, CancellationToken.None).ConfigureAwait(false);
        return (scheduler, job);
    }

    private static async Task<(long Started, long LastStarted)> RoundAsync(IScheduler scheduler, IJobDetail job, int jobs)
    {
        var done = _counter.Expect(jobs);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < jobs; i++)
        {
            await scheduler.ScheduleJob(TriggerBuilder.Create(TimeProvider.System).ForJob(job).StartNow().Build(), default, CancellationToken.None).ConfigureAwait(false);
        }

        var lastStarted = await done.WaitAsync(TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        return (started, lastStarted);
    }

    /// <summary>The e2e job.</summary>
    internal sealed class NoopJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            _counter.Started();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The latency job.</summary>
    internal sealed class PingJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            _probe.Started(Stopwatch.GetTimestamp());
            return ValueTask.CompletedTask;
        }
    }
}
