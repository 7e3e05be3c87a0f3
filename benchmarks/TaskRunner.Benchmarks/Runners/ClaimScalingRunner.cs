using System.Diagnostics;
using TaskRunner.Benchmarks.Micro;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>claim-scaling --backend memory|sqlite|postgres</c>: the store's cost of one claim of 32 from a queue of 1,000 pending jobs
/// (<c>claim_us_at_1k</c>) and of 1,000,000 (<c>claim_us_at_1m</c>; <c>--large</c> changes that size, for smoke runs),
/// and their ratio (the target: at most 2). A tenth of the jobs carry one of ten concurrency keys held by a running job,
/// and sit first in claim order (higher priority), so a claim that stepped over jobs of a busy key would walk all of them.
/// Each round claims 32 (timed) and hands them back (released, untimed), so the queue keeps its size; the figure is
/// the median of <c>--rounds</c> rounds (default 200) after 20 warm-up rounds.
/// </summary>
internal static class ClaimScalingRunner
{
    private const int ClaimSize = 32;
    private const int BusyKeys = 10;
    private const int WarmUp = 20;

    public static async Task RunAsync(CommandLine options)
    {
        var backend = options.Backend();
        var large = options.Get("large", 1_000_000);
        var rounds = options.Get("rounds", 200);
        var small = await MeasureAsync(backend, 1_000, rounds).ConfigureAwait(false);
        var big = await MeasureAsync(backend, large, rounds).ConfigureAwait(false);
        Figures.Print("claim_us_at_1k", small);
        Figures.Print(large == 1_000_000 ? "claim_us_at_1m" : $"claim_us_at_{large}", big);
        Figures.Print("claim_ratio", big / small);
    }

    private static async Task<double> MeasureAsync(Backend backend, int pending, int rounds)
    {
        using var stores = new Stores(backend);
        var store = stores.Jobs;
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var payload = "{\"value\":0}"u8.ToArray();

        // The holders: one running job per busy key.
        var holders = Enumerable.Range(0, BusyKeys)
            .Select(k => new NewJob { Name = "holder", Payload = payload, Queue = "holders", ConcurrencyKey = $"busy-{k}", MaxAttempts = 10 })
            .ToList();
        await store.EnqueueAsync(holders, now).ConfigureAwait(false);
        var held = await store.ClaimAsync(new ClaimRequest { Queue = "holders", MaxCount = BusyKeys, Owner = "holder", Now = now, LeaseDuration = TimeSpan.FromDays(1) }).ConfigureAwait(false);
        if (held.Count != BusyKeys)
        {
            throw new InvalidOperationException($"{held.Count} holders claimed; expected {BusyKeys}.");
        }

        // The backlog, enqueued in calls of 10,000: a tenth behind busy keys, first in claim order.
        var chunk = new List<NewJob>(10_000);
        for (var i = 0; i < pending; i++)
        {
            chunk.Add(i % 10 == 0
                ? new NewJob { Name = "noop", Payload = payload, Priority = 1, ConcurrencyKey = $"busy-{i / 10 % BusyKeys}", RunAt = now, MaxAttempts = 10 }
                : new NewJob { Name = "noop", Payload = payload, RunAt = now, MaxAttempts = 10 });
            if (chunk.Count == chunk.Capacity || i == pending - 1)
            {
                await store.EnqueueAsync(chunk, now).ConfigureAwait(false);
                chunk.Clear();
            }
        }

        var request = new ClaimRequest
        {
            Queue = JobOptions.DefaultQueue, MaxCount = ClaimSize, Owner = "bench", Now = now, LeaseDuration = TimeSpan.FromMinutes(5),
            JobNames = new HashSet<string>(["noop"], StringComparer.Ordinal),
        };
        var times = new double[rounds];
        var released = new List<JobCompletion>(ClaimSize);
        for (var round = -WarmUp; round < rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var claimed = await store.ClaimAsync(request).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            if (claimed.Count != ClaimSize)
            {
                throw new InvalidOperationException($"A claim of {ClaimSize} from {pending} pending jobs took {claimed.Count}.");
            }

            if (round >= 0)
            {
                times[round] = elapsed;
            }

            released.Clear();
            foreach (var job in claimed)
            {
                released.Add(JobCompletion.Released(job.Id, job.LeaseToken));
            }

            await store.CompleteAsync(new CompleteRequest { Completions = released, Now = now }).ConfigureAwait(false);
        }

        Array.Sort(times);
        return Figures.Percentile(times, 50);
    }
}
