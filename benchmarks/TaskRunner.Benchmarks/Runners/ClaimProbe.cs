using System.Diagnostics;
using TaskRunner.Benchmarks.Micro;

namespace TaskRunner.Benchmarks.Runners;

internal static class ClaimProbe
{
    public static async Task RunAsync(CommandLine options)
    {
        var backlog = options.Get("jobs", 100_000);
        var batch = options.Get("batch", 10);
        using var stores = new Stores(Backend.Sqlite);
        var jobs = Stores.NewJobs(1000);
        for (var i = 0; i < backlog; i += 1000)
        {
            await stores.Jobs.EnqueueAsync(jobs, DateTimeOffset.UtcNow);
        }

        double claimUs = 0, completeUs = 0;
        var rounds = 500;
        var completions = new List<JobCompletion>();
        for (var r = 0; r < rounds; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var claimed = await stores.Jobs.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = batch, Owner = "o", Now = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromSeconds(30) });
            var t1 = Stopwatch.GetTimestamp();
            completions.Clear();
            foreach (var j in claimed) completions.Add(JobCompletion.Succeeded(j.Id, j.LeaseToken));
            await stores.Jobs.CompleteAsync(completions, DateTimeOffset.UtcNow);
            var t2 = Stopwatch.GetTimestamp();
            claimUs += Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
            completeUs += Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds;
        }

        Console.WriteLine($"claim_us: {claimUs / rounds:0.#}  complete_us: {completeUs / rounds:0.#}");
    }
}
