using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Storage;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>The automatic prefetch on a store that claims ahead (<see cref="JobStoreCapabilities.ClaimAhead"/>): the
/// estimate itself, then the engine on a store whose claims take fake time and jobs that take fake time.</summary>
public sealed class ClaimAheadTests
{
    private static readonly TimeSpan ClaimTime = TimeSpan.FromMilliseconds(10);

    [Theory]
    // workers, claim ms, job ms (0: none timed yet), cap, expected prefetch
    [InlineData(10, 5.0, 1.0, 256, 50)] // 10 workers run 50 one-millisecond jobs during a 5 ms claim
    [InlineData(10, 5.0, 0.002, 256, 256)] // no-op jobs: as many as the cap (the queue's batch size) allows
    [InlineData(10, 5.0, 1000.0, 256, 0)] // jobs longer than a claim: none prefetched, nothing held from other processes
    [InlineData(1, 10.0, 3.0, 256, 3)] // rounded down: 3.33 jobs
    [InlineData(10, 0.0, 1.0, 256, 0)] // a claim that took no time (a fake clock standing still): no prefetch
    [InlineData(10, 5.0, 0.0, 256, 0)] // no job timed yet: no prefetch
    public void Prefetch_is_what_the_workers_run_during_one_claim_at_most_the_cap(int workers, double claimMs, double jobMs, int cap, int expected)
    {
        var estimate = new AutoPrefetch(workers, cap);
        if (jobMs > 0)
        {
            estimate.JobDone(TimeSpan.FromMilliseconds(jobMs));
            estimate.JobDone(TimeSpan.FromMilliseconds(jobMs));
        }

        estimate.Claimed(TimeSpan.FromMilliseconds(claimMs));

        Assert.Equal(expected, estimate.Prefetch);
    }

    [Fact]
    public void One_slow_claim_or_job_moves_the_estimate_a_quarter_of_the_way()
    {
        var estimate = new AutoPrefetch(workers: 1, max: 1000);
        estimate.JobDone(TimeSpan.FromMilliseconds(1));
        estimate.Claimed(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, estimate.Prefetch);

        estimate.Claimed(TimeSpan.FromMilliseconds(50)); // claim average 10 + (50 - 10) / 4 = 20; no new job: job time kept
        Assert.Equal(20, estimate.Prefetch);

        estimate.JobDone(TimeSpan.FromMilliseconds(5)); // job average 1 + (5 - 1) / 4 = 2; claim average 20 + (20 - 20) / 4
        estimate.Claimed(TimeSpan.FromMilliseconds(20));
        Assert.Equal(10, estimate.Prefetch);
    }

    [Fact]
    public async Task Short_jobs_on_a_store_that_claims_ahead_are_claimed_beyond_the_free_worker_slots_and_run_once_each()
    {
        var (host, claims) = await StartAsync(JobStoreCapabilities.ClaimAhead, prefetch: null);
        await using (host)
        {
            var ids = await RunAsync(host, jobMs: 1, count: 30);

            // One worker slot; the second claim measured a 10 ms claim and a 1 ms job, so the next asks for 10 more.
            Assert.Contains(claims, c => c >= 10);
            await AssertRanOnceEachAsync(host, ids);
        }
    }

    [Theory]
    [InlineData(JobStoreCapabilities.ClaimAhead, null, 50, null)] // jobs longer than a claim: never prefetched
    [InlineData(JobStoreCapabilities.ClaimAhead, 0, 1, null)] // an explicit prefetch of 0 wins
    [InlineData(JobStoreCapabilities.ClaimAhead, null, 1, 100)] // a cluster-wide cap: a prefetched job would hold one of its slots
    [InlineData(JobStoreCapabilities.None, null, 1, null)] // a store that does not claim ahead: free slots only, as before
    public async Task Otherwise_a_claim_never_asks_for_more_than_the_free_worker_slot(JobStoreCapabilities extra, int? prefetch, int jobMs, int? clusterConcurrency)
    {
        var (host, claims) = await StartAsync(extra, prefetch, clusterConcurrency);
        await using (host)
        {
            var ids = await RunAsync(host, jobMs, count: 20);

            Assert.All(claims, c => Assert.Equal(1, c));
            await AssertRanOnceEachAsync(host, ids);
        }
    }

    [Fact]
    public async Task The_completion_backlog_holds_claims_ahead_until_the_outcomes_before_them_are_written()
    {
        var writes = new Gate();
        var store = new FaultyJobStore(new InMemoryJobStore()) { HoldCompletions = writes };
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<StepHandler, Step>("step"), services: s => s.AddSingleton<IJobStore>(store));
        var runner = host.Services.GetRequiredService<RunnerServices>();
        var writer = new CompletionWriter(runner, new HeldLeases(runner));
        await host.Client.EnqueueManyAsync([new Step(0), new Step(0), new Step(0)], new JobOptions { Queue = "unserved" });
        var jobs = await store.ClaimAsync(new ClaimRequest
        {
            Queue = "unserved", MaxCount = 3, Owner = "test", Now = host.Time.GetUtcNow(), LeaseDuration = TimeSpan.FromMinutes(1),
        });
        Assert.Equal(3, jobs.Count);

        foreach (var job in jobs)
        {
            writer.Write(job, JobCompletion.Succeeded(job.Id, job.LeaseToken), TimeSpan.Zero);
        }

        // The first write is stalled in the store: all three count until their write ends.
        Assert.Equal(3, writer.Backlog);
        var belowTwo = writer.WaitForBacklogBelowAsync(2, CancellationToken.None).AsTask();
        using var stop = new CancellationTokenSource();
        var stopped = writer.WaitForBacklogBelowAsync(1, stop.Token).AsTask();
        Assert.False(belowTwo.IsCompleted);
        await stop.CancelAsync();
        Assert.False(await stopped); // shutdown: the poll loop stops waiting

        writes.Open();
        Assert.True(await belowTwo.WaitAsync(TimeSpan.FromSeconds(30)));
        await writer.DrainAsync();
        Assert.Equal(0, writer.Backlog);
        foreach (var job in jobs)
        {
            Assert.Equal(JobState.Succeeded, (await host.Client.GetAsync(job.Id))!.State);
        }
    }

    private static async Task<(RunnerHost Host, ConcurrentQueue<int> Claims)> StartAsync(JobStoreCapabilities extra, int? prefetch, int? clusterConcurrency = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
        var claims = new ConcurrentQueue<int>();
        var store = new FaultyJobStore(new InMemoryJobStore())
        {
            ExtraCapabilities = extra,
            BeforeClaim = request =>
            {
                claims.Enqueue(request.MaxCount);
                time.Advance(ClaimTime); // a claim's round trip to a server
            },
        };
        var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<StepHandler, Step>("step");
                b.AddQueue("default", q =>
                {
                    q.Concurrency = 1;
                    q.Prefetch = prefetch;
                    q.ClusterConcurrency = clusterConcurrency;
                });
            },
            time,
            s => s.AddSingleton<IJobStore>(store));
        return (host, claims);
    }

    private static async Task<IReadOnlyList<JobId>> RunAsync(RunnerHost host, int jobMs, int count)
    {
        var ids = await host.Client.EnqueueManyAsync(Enumerable.Range(0, count).Select(_ => new Step(jobMs)));
        foreach (var id in ids)
        {
            await host.Events.WaitFor(JobEventKind.Succeeded, id);
        }

        return ids;
    }

    private static async Task AssertRanOnceEachAsync(RunnerHost host, IReadOnlyList<JobId> ids)
    {
        foreach (var id in ids)
        {
            var job = await host.Client.GetAsync(id);
            Assert.Equal(JobState.Succeeded, job!.State);
            Assert.Equal(1, job.Attempts);
        }
    }

    private sealed record Step(int Milliseconds);

    /// <summary>Takes its payload's milliseconds of fake time, as a job of that length would of real time.</summary>
    private sealed class StepHandler(TimeProvider time) : IJobHandler<Step>
    {
        public ValueTask ExecuteAsync(Step payload, JobContext context)
        {
            ((FakeTimeProvider)time).Advance(TimeSpan.FromMilliseconds(payload.Milliseconds));
            return ValueTask.CompletedTask;
        }
    }
}
