using System.Diagnostics;
using Hangfire;
using Hangfire.InMemory;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>--peer hangfire</c>: the same e2e and latency measurements on Hangfire with its in-memory storage, for comparison
/// on the same machine. Jobs are enqueued one call each (<c>BackgroundJob.Enqueue</c>; Hangfire has no batch enqueue
/// without Pro) and run by a <see cref="BackgroundJobServer"/> with the given worker count.
/// </summary>
internal static class HangfirePeer
{
    private static RunCounter _counter = new();
    private static PingProbe _probe = new();

    public static async Task EndToEndAsync(int jobs, int workers)
    {
        using var server = Start(workers);
        var warmup = Math.Clamp(jobs / 10, 1, 20_000);
        await RoundAsync(warmup).ConfigureAwait(false);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (started, lastStarted) = await RoundAsync(jobs).ConfigureAwait(false);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Figures.Print("jobs_per_s", jobs / Stopwatch.GetElapsedTime(started, lastStarted).TotalSeconds);
        Figures.Print("allocated_bytes_per_job", (double)allocated / jobs);
    }

    public static async Task LatencyAsync(int jobs, TimeSpan gap, int workers)
    {
        using var server = Start(workers);
        var latencies = new double[jobs];
        for (var i = -20; i < jobs; i++)
        {
            await Task.Delay(gap).ConfigureAwait(false);
            var started = _probe.Expect();
            var enqueued = Stopwatch.GetTimestamp();
            BackgroundJob.Enqueue(() => Ping());
            var ran = await started.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (i >= 0)
            {
                latencies[i] = Stopwatch.GetElapsedTime(enqueued, ran).TotalMicroseconds;
            }
        }

        Figures.PrintLatencies(latencies);
    }

    /// <summary>The e2e job (public: Hangfire invokes it by reflection).</summary>
    public static void Noop(int value)
    {
        _ = value;
        _counter.Started();
    }

    /// <summary>The latency job (public: Hangfire invokes it by reflection).</summary>
    public static void Ping() => _probe.Started(Stopwatch.GetTimestamp());

    private static BackgroundJobServer Start(int workers)
    {
        _counter = new RunCounter();
        _probe = new PingProbe();
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseInMemoryStorage(new InMemoryStorageOptions());
        return new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workers });
    }

    private static async Task<(long Started, long LastStarted)> RoundAsync(int jobs)
    {
        var done = _counter.Expect(jobs);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < jobs; i++)
        {
            BackgroundJob.Enqueue(() => Noop(0));
        }

        var lastStarted = await done.WaitAsync(TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        return (started, lastStarted);
    }
}
