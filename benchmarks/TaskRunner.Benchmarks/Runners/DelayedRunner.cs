using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>delayed</c>: on an idle runner (the default idle-backoff polling), enqueue <c>--jobs</c> delayed jobs (default 200)
/// whose run-ats are spread evenly over <c>--min-ms</c>–<c>--max-ms</c> from now (default 500–3000), in a shuffled order,
/// and measure how late each starts: from its run-at to the handler's first line. 20 delayed warm-up jobs run first and
/// are not counted. Prints <c>start_deviation_ms_p50</c>, <c>_p99</c> and <c>_max</c>, and the same figures of bare timers
/// (<c>timer_deviation_ms_*</c>: one <c>Task.Delay</c> per run-at of the same spread, no engine) measured right after in the
/// same process: on a loaded machine that is the floor no engine can beat.
/// </summary>
internal static class DelayedRunner
{
    private const int Warmup = 20;

    public static async Task RunAsync(CommandLine options)
    {
        var backend = options.Backend();
        var jobs = options.Get("jobs", 200);
        var minMs = options.Get("min-ms", 500);
        var maxMs = options.Get("max-ms", 3000);
        if (maxMs < minMs)
        {
            throw new ArgumentException($"--max-ms is {maxMs}; it must not be below --min-ms ({minMs}).");
        }

        await using var host = await BenchHost.StartAsync(
            backend,
            options.Get("workers", 10),
            b => b.AddJob<DelayedPingHandler, DelayedPing>("delayed-ping"),
            s => s.AddSingleton<DelayedProbe>()).ConfigureAwait(false);
        var probe = host.Services.GetRequiredService<DelayedProbe>();

        // Warm-up: the same path (delayed enqueue, wake-up, claim, start), 50–250 ms out.
        await RunRoundAsync(host, probe, Warmup, 50, 250).ConfigureAwait(false);
        var deviations = await RunRoundAsync(host, probe, jobs, minMs, maxMs).ConfigureAwait(false);

        var timers = await TimerRoundAsync(jobs, minMs, maxMs).ConfigureAwait(false);

        Print("start_deviation_ms", deviations);
        Print("timer_deviation_ms", timers);
    }

    private static void Print(string name, double[] deviations)
    {
        Array.Sort(deviations);
        Figures.Print($"{name}_p50", Figures.Percentile(deviations, 50));
        Figures.Print($"{name}_p99", Figures.Percentile(deviations, 99));
        Figures.Print($"{name}_max", deviations[^1]);
    }

    /// <summary>The spread of run-ats, in a shuffled order.</summary>
    private static double[] Offsets(int count, int minMs, int maxMs)
    {
        var offsets = new double[count];
        for (var i = 0; i < count; i++)
        {
            offsets[i] = count == 1 ? minMs : minMs + ((maxMs - minMs) * (double)i / (count - 1));
        }

        new Random(42).Shuffle(offsets);
        return offsets;
    }

    /// <summary>How late bare timers for the same run-ats fire, in milliseconds.</summary>
    private static async Task<double[]> TimerRoundAsync(int count, int minMs, int maxMs)
    {
        var now = TimeProvider.System.GetUtcNow();
        var rounds = Offsets(count, minMs, maxMs).Select(async offset =>
        {
            var runAt = now.AddMilliseconds(offset);
            await Task.Delay(runAt - TimeProvider.System.GetUtcNow()).ConfigureAwait(false);
            return (TimeProvider.System.GetUtcNow() - runAt).TotalMilliseconds;
        });
        return await Task.WhenAll(rounds).ConfigureAwait(false);
    }

    /// <summary>Enqueues <paramref name="count"/> delayed jobs and returns how late each started, in milliseconds.</summary>
    private static async Task<double[]> RunRoundAsync(BenchHost host, DelayedProbe probe, int count, int minMs, int maxMs)
    {
        var done = probe.Expect(count);
        var offsets = Offsets(count, minMs, maxMs);
        var now = TimeProvider.System.GetUtcNow();
        for (var i = 0; i < count; i++)
        {
            var runAt = now.AddMilliseconds(offsets[i]);
            await host.Client.EnqueueAsync(new DelayedPing(i, runAt.UtcTicks), new JobOptions { RunAt = runAt }).ConfigureAwait(false);
        }

        return await done.WaitAsync(TimeSpan.FromMilliseconds(maxMs) + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }
}

/// <summary>The delayed job's payload: its index in the round and its run-at (UTC ticks).</summary>
public readonly record struct DelayedPing(int Index, long RunAtTicks);

/// <summary>Collects how late each job of a round started.</summary>
internal sealed class DelayedProbe
{
    private readonly Lock _gate = new();
    private double[] _deviations = [];
    private int _left;
    private TaskCompletionSource<double[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<double[]> Expect(int count)
    {
        lock (_gate)
        {
            _deviations = new double[count];
            _left = count;
            _done = new TaskCompletionSource<double[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _done.Task;
        }
    }

    public void Started(DelayedPing ping, DateTimeOffset at)
    {
        lock (_gate)
        {
            _deviations[ping.Index] = (at - new DateTimeOffset(ping.RunAtTicks, TimeSpan.Zero)).TotalMilliseconds;
            if (--_left == 0)
            {
                _done.TrySetResult(_deviations);
            }
        }
    }
}

/// <summary>Records when it started.</summary>
internal sealed class DelayedPingHandler(DelayedProbe probe) : IJobHandler<DelayedPing>
{
    public ValueTask ExecuteAsync(DelayedPing payload, JobContext context)
    {
        probe.Started(payload, TimeProvider.System.GetUtcNow());
        return ValueTask.CompletedTask;
    }
}
