using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>latency</c>: on an idle runner, enqueue one job at a time (<c>--jobs</c>, default 200, <c>--gap-ms</c> apart, default
/// 20) and measure from the enqueue call to the handler's first line. 20 warm-up jobs run first and are not counted.
/// With <c>--cross-process</c> (PostgreSQL) another process runs the jobs: see <see cref="CrossProcessLatencyRunner"/>.
/// </summary>
internal static class LatencyRunner
{
    private const int Warmup = 20;

    public static async Task RunAsync(CommandLine options)
    {
        var backend = options.Backend();
        var jobs = options.Get("jobs", 200);
        var gap = TimeSpan.FromMilliseconds(options.Get("gap-ms", 20));
        var workers = options.Get("workers", 10);
        if (options.Flag("cross-process"))
        {
            await CrossProcessLatencyRunner.RunAsync(options, jobs, gap, workers).ConfigureAwait(false);
            return;
        }

        switch (options.Peer())
        {
            case "hangfire":
                await HangfirePeer.LatencyAsync(jobs, gap, workers).ConfigureAwait(false);
                return;
            case "quartz":
                await QuartzPeer.LatencyAsync(jobs, gap, workers).ConfigureAwait(false);
                return;
        }


        await using var host = await BenchHost.StartAsync(
            backend,
            workers,
            b => b.AddJob<PingHandler, Ping>("ping"),
            s => s.AddSingleton<PingProbe>()).ConfigureAwait(false);
        var probe = host.Services.GetRequiredService<PingProbe>();
        var client = host.Client;
        var latencies = new double[jobs];
        for (var i = -Warmup; i < jobs; i++)
        {
            await Task.Delay(gap).ConfigureAwait(false);
            var started = probe.Expect();
            var enqueued = Stopwatch.GetTimestamp();
            await client.EnqueueAsync(new Ping(i)).ConfigureAwait(false);
            var ran = await started.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (i >= 0)
            {
                latencies[i] = Stopwatch.GetElapsedTime(enqueued, ran).TotalMicroseconds;
            }
        }

        Figures.PrintLatencies(latencies);
    }
}

/// <summary>The latency job's payload.</summary>
public readonly record struct Ping(int Index);

/// <summary>Hands the timestamp of the handler's first line to the waiting runner.</summary>
internal sealed class PingProbe
{
    private TaskCompletionSource<long> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Expect()
    {
        _started = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _started.Task;
    }

    public void Started(long timestamp) => _started.TrySetResult(timestamp);
}

/// <summary>Records when it started.</summary>
internal sealed class PingHandler(PingProbe probe) : IJobHandler<Ping>
{
    public ValueTask ExecuteAsync(Ping payload, JobContext context)
    {
        probe.Started(Stopwatch.GetTimestamp());
        return ValueTask.CompletedTask;
    }
}
