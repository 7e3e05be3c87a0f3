using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Postgres;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>e2e</c>: enqueue N no-op jobs (in calls of <c>--enqueue-batch</c>, default 1000) and run them with W workers.
/// jobs_per_s runs from the first enqueue call until the N-th execution has started (counted inside the handler);
/// allocated_bytes_per_job is every byte allocated in the process from the first enqueue call until all N jobs are
/// stored as succeeded, divided by N; finished_jobs_per_s runs until then too (outcomes stored, as the backends' own
/// claim + complete ceilings count). report_latency_ms_p50/_p99 are the measured round's times from a job's claim until
/// its outcome was stored (the <c>taskrunner.job.report_latency</c> histogram). A warm-up round (N/10 jobs, at most
/// 20,000) runs first on the same host.
/// </summary>
internal static class EndToEndRunner
{
    public static async Task RunAsync(CommandLine options)
    {
        var backend = options.Backend();
        var jobs = options.Get("jobs", 100_000);
        var workers = options.Get("workers", 10);
        var enqueueBatch = options.Get("enqueue-batch", 1000);
        var batchSize = options.Optional("batch-size"); // unset: the queue's defaults, as a user gets them
        var prefetch = options.Optional("prefetch");
        var completionBatch = options.Optional("completion-batch");
        var durableClaims = options.Flag("durable-claims"); // PostgreSQL: claims wait for the disk flush (the default before it was an option)
        switch (options.Peer())
        {
            case "hangfire":
                await HangfirePeer.EndToEndAsync(jobs, workers).ConfigureAwait(false);
                return;
            case "quartz":
                await QuartzPeer.EndToEndAsync(jobs, workers).ConfigureAwait(false);
                return;
        }

        await using var host = await BenchHost.StartAsync(
            backend,
            workers,
            b =>
            {
                b.AddJob<NoopHandler, Noop>("noop");
                if (completionBatch is { } reports)
                {
                    b.Configure(o => o.CompletionBatchSize = reports);
                }

                if (durableClaims)
                {
                    b.Services.Configure<PostgresStoreOptions>(o => o.DurableClaims = true);
                }

                b.AddQueue("default", q =>
                {
                    if (batchSize is { } size)
                    {
                        q.BatchSize = Math.Clamp(size, 1, 1000);
                    }

                    q.Prefetch = prefetch;
                });
            },
            s => s.AddSingleton<RunCounter>()).ConfigureAwait(false);
        var counter = host.Services.GetRequiredService<RunCounter>();
        var payloads = new Noop[enqueueBatch];

        var warmup = Math.Clamp(jobs / 10, 1, 20_000);
        await RunRoundAsync(host, counter, payloads, warmup).ConfigureAwait(false);
        await host.WaitUntilFinishedAsync(warmup, TimeSpan.FromMinutes(5)).ConfigureAwait(false);

        // Preallocated before the measure, so recording allocates nothing inside it.
        using var latencies = new ReportLatencies(jobs);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (started, lastStarted) = await RunRoundAsync(host, counter, payloads, jobs).ConfigureAwait(false);
        await host.WaitUntilFinishedAsync(warmup + jobs, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        var finished = Stopwatch.GetTimestamp();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        latencies.Stop();

        var seconds = Stopwatch.GetElapsedTime(started, lastStarted).TotalSeconds;
        Figures.Print("jobs_per_s", jobs / seconds);
        Figures.Print("finished_jobs_per_s", jobs / Stopwatch.GetElapsedTime(started, finished).TotalSeconds);
        Figures.Print("allocated_bytes_per_job", (double)allocated / jobs);
        Figures.Print("report_latency_ms_p50", latencies.Percentile(0.50));
        Figures.Print("report_latency_ms_p99", latencies.Percentile(0.99));
    }

    private static async Task<(long Started, long LastStarted)> RunRoundAsync(BenchHost host, RunCounter counter, Noop[] payloads, int jobs)
    {
        var done = counter.Expect(jobs);
        var client = host.Client;
        var started = Stopwatch.GetTimestamp();
        for (var sent = 0; sent < jobs; sent += payloads.Length)
        {
            var count = Math.Min(payloads.Length, jobs - sent);
            await client.EnqueueManyAsync(new ArraySegment<Noop>(payloads, 0, count)).ConfigureAwait(false);
        }

        if (Environment.GetEnvironmentVariable("BENCH_PROGRESS") is { Length: > 0 })
        {
            await Console.Error.WriteLineAsync($"enqueued {jobs} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms").ConfigureAwait(false);
            using var meters = new MeterProbe();
            while (!done.IsCompleted)
            {
                await Task.WhenAny(done, Task.Delay(1000)).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"{Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms: {counter.Count} started; {meters.Summary()}").ConfigureAwait(false);
            }
        }

        var lastStarted = await done.WaitAsync(TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        return (started, lastStarted);
    }
}

/// <summary>The e2e job's payload.</summary>
public readonly record struct Noop(int Value);

/// <summary>Counts executions and signals the timestamp of the expected last one.</summary>
internal sealed class RunCounter
{
    private int _count;
    private int _target;
    private TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Expect(int jobs)
    {
        _done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _target, jobs);
        return _done.Task;
    }

    public int Count => Volatile.Read(ref _count);

    public void Started()
    {
        if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target))
        {
            _done.TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}

/// <summary>Does nothing but count itself.</summary>
internal sealed class NoopHandler(RunCounter counter) : IJobHandler<Noop>
{
    public ValueTask ExecuteAsync(Noop payload, JobContext context)
    {
        counter.Started();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Records the engine's claim → outcome-stored times (<c>taskrunner.job.report_latency</c>) into a preallocated array.</summary>
internal sealed class ReportLatencies : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly double[] _seconds;
    private int _count;
    private volatile bool _stopped;

    public ReportLatencies(int capacity)
    {
        _seconds = new double[capacity];
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "TaskRunner" && instrument.Name == "taskrunner.job.report_latency")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            if (!_stopped && Interlocked.Increment(ref _count) is var n && n <= _seconds.Length)
            {
                _seconds[n - 1] = value;
            }
        });
        _listener.Start();
    }

    public void Stop() => _stopped = true;

    /// <summary>The percentile in milliseconds (nearest rank), or -1 when nothing was recorded.</summary>
    public double Percentile(double p)
    {
        var count = Math.Min(Volatile.Read(ref _count), _seconds.Length);
        if (count == 0)
        {
            return -1;
        }

        var sorted = _seconds[..count];
        Array.Sort(sorted);
        return sorted[Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1)] * 1000;
    }

    public void Dispose() => _listener.Dispose();
}
