using BenchmarkDotNet.Attributes;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>Next occurrence of a parsed schedule (what the scheduler computes after every firing).</summary>
[MemoryDiagnoser]
public class CronBenchmarks
{
    private static readonly DateTimeOffset From = new(2026, 3, 29, 0, 30, 0, TimeSpan.Zero);
    private readonly CronSchedule _everySecond = CronSchedule.Parse("* * * * * *", "UTC");
    private readonly CronSchedule _everyFiveMinutes = CronSchedule.Parse("*/5 * * * *", "UTC");
    private readonly CronSchedule _weekdaysInBerlin = CronSchedule.Parse("30 9 * * MON-FRI", "Europe/Berlin");

    [Benchmark]
    public DateTimeOffset? EverySecondUtc() => _everySecond.GetNextOccurrence(From);

    [Benchmark]
    public DateTimeOffset? EveryFiveMinutesUtc() => _everyFiveMinutes.GetNextOccurrence(From);

    [Benchmark]
    public DateTimeOffset? WeekdaysInBerlinAcrossDst() => _weekdaysInBerlin.GetNextOccurrence(From);
}
