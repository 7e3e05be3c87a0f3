using System.Diagnostics;
using TaskRunner.Benchmarks.Micro;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>claim-probe</c> (a diagnostic, not a target figure): the SQLite store's own cost of one claim call and one completion
/// call of <c>--batch</c> jobs (default 10, what 10 workers claim), averaged over 500 rounds on a backlog of <c>--jobs</c>.
/// <c>--backend postgres</c> probes the PostgreSQL store instead (<c>--durable-claims</c>: claims wait for the disk flush).
/// </summary>
internal static class ClaimProbe
{
    private const int Rounds = 500;

    public static async Task RunAsync(CommandLine options)
    {
        var backlog = options.Get("jobs", 100_000);
        var batch = options.Get("batch", 10);
        using var sqlite = options.Backend() == Backend.Postgres ? null : new Stores(Backend.Sqlite);
        using var postgres = options.Backend() == Backend.Postgres ? new PostgresStores(options.Flag("durable-claims")) : null;
        var store = sqlite?.Jobs ?? postgres!.Jobs;
        var jobs = Stores.NewJobs(1000);
        for (var i = 0; i < backlog; i += jobs.Length)
        {
            await store.EnqueueAsync(jobs, DateTimeOffset.UtcNow).ConfigureAwait(false);
        }

        double claimUs = 0, completeUs = 0;
        var completions = new List<JobCompletion>(batch);
        for (var round = 0; round < Rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var claimed = await store.ClaimAsync(new ClaimRequest
            {
                Queue = "default", MaxCount = batch, Owner = "probe", Now = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromSeconds(30),
            }).ConfigureAwait(false);
            var claimedAt = Stopwatch.GetTimestamp();
            completions.Clear();
            foreach (var job in claimed)
            {
                completions.Add(JobCompletion.Succeeded(job.Id, job.LeaseToken));
            }

            await store.CompleteAsync(new CompleteRequest { Completions = completions, Now = DateTimeOffset.UtcNow }).ConfigureAwait(false);
            claimUs += Stopwatch.GetElapsedTime(started, claimedAt).TotalMicroseconds;
            completeUs += Stopwatch.GetElapsedTime(claimedAt).TotalMicroseconds;
        }

        Figures.Print("claim_call_us", claimUs / Rounds);
        Figures.Print("complete_call_us", completeUs / Rounds);
    }
}
