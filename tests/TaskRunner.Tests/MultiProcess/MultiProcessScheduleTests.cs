using System.Globalization;
using Xunit.Abstractions;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>One recurring schedule run by the schedulers of several real processes on one SQLite file.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessScheduleTests(ITestOutputHelper output)
{
    private const string KeyPrefix = "schedule:tick:";

    [Fact]
    public async Task Three_processes_with_a_per_second_schedule_run_exactly_one_job_per_occurrence()
    {
        const int Occurrences = 30;
        await using var db = await SharedDatabase.CreateAsync();
        var logs = Enumerable.Range(0, 3).Select(i => db.File($"scheduler{i}.log")).ToArray();
        var workers = logs.Select(log => db.StartWorker("schedule", "--log", log)).ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        // From the first whole second after all three run, every occurrence must have exactly one job and one run. This
        // takes real time: a per-second schedule needs 30 s for 30 occurrences.
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
            output.WriteLine($"scheduler process {workers[i].Id} ran {File.ReadAllLines(logs[i]).Length} occurrences");
        }

        var runs = logs.SelectMany(File.ReadAllLines).Select(line => line.Split(' ')).Select(p => (Occurrence: Occurrence(p[0]), JobId: long.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
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
        Assert.StartsWith(KeyPrefix, key, StringComparison.Ordinal);
        return DateTimeOffset.Parse(key[KeyPrefix.Length..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }
}
