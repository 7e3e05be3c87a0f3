using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>punctuality</c>: <c>--schedules</c> recurring schedules firing every second (<c>* * * * * *</c>) for
/// <c>--seconds</c>. A firing's deviation is the time from its occurrence (the whole second) to its handler's first line.
/// Only occurrences inside the measured window count; the window starts two seconds after the host started.
/// </summary>
internal static class PunctualityRunner
{
    public static async Task RunAsync(CommandLine options)
    {
        var backend = options.Backend();
        var schedules = options.Get("schedules", 100);
        var seconds = options.Get("seconds", 20);
        var workers = options.Get("workers", 10);

        await using var host = await BenchHost.StartAsync(
            backend,
            workers,
            b =>
            {
                b.AddJob<TickHandler, Tick>("tick");
                for (var i = 0; i < schedules; i++)
                {
                    // JobName set explicitly: AddRecurring inside AddTaskRunner's callback registers the payload-type name resolver
                    // before AddTaskRunner's registry resolver (a TryAdd), so the job would be looked up as "Tick".
                    b.AddRecurring($"every-second-{i}", "* * * * * *", new Tick(i), o => o.JobName = "tick");
                }
            },
            s => s.AddSingleton<TickProbe>()).ConfigureAwait(false);
        var probe = host.Services.GetRequiredService<TickProbe>();
        var now = DateTimeOffset.UtcNow;
        var windowStart = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(2);
        var windowEnd = windowStart.AddSeconds(seconds);
        await Task.Delay(windowEnd - now + TimeSpan.FromSeconds(1)).ConfigureAwait(false);

        var deviations = probe.Deviations(windowStart, windowEnd);
        var within = deviations.Count(d => d <= 10);
        Figures.Print("fired", deviations.Length);
        Figures.Print("expected", (double)schedules * seconds);
        Figures.Print("within_10ms_pct", deviations.Length == 0 ? 0 : 100.0 * within / (schedules * seconds));
        Figures.Print("max_deviation_ms", deviations.Length == 0 ? 0 : deviations.Max());
    }
}

/// <summary>The punctuality job's payload: which schedule fired.</summary>
public readonly record struct Tick(int Schedule);

/// <summary>Collects the start time of every firing.</summary>
internal sealed class TickProbe
{
    private readonly Lock _gate = new();
    private readonly List<DateTimeOffset> _starts = [];

    public void Started(DateTimeOffset at)
    {
        lock (_gate)
        {
            _starts.Add(at);
        }
    }

    /// <summary>Deviations in ms of the firings whose occurrence (the whole second before the start) is in the window.</summary>
    public double[] Deviations(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            return _starts
                .Select(s => (Start: s, Occurrence: new DateTimeOffset(s.Ticks - (s.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero)))
                .Where(f => f.Occurrence >= from && f.Occurrence < to)
                .Select(f => (f.Start - f.Occurrence).TotalMilliseconds)
                .ToArray();
        }
    }
}

/// <summary>Records when it started.</summary>
internal sealed class TickHandler(TickProbe probe) : IJobHandler<Tick>
{
    public ValueTask ExecuteAsync(Tick payload, JobContext context)
    {
        probe.Started(DateTimeOffset.UtcNow);
        return ValueTask.CompletedTask;
    }
}
