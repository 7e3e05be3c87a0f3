using System.Text;

namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="IJobStore"/> must have (SPEC §2).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract partial class JobStoreContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private IJobStore Store => Factory.JobStore;

    // ---- helpers ----

    protected static NewJob Job(
        string name,
        string queue = JobOptions.DefaultQueue,
        int priority = 0,
        DateTimeOffset? runAt = null,
        int maxAttempts = 3,
        TimeSpan? timeout = null,
        string? uniqueKey = null,
        string? idempotencyKey = null,
        string? concurrencyKey = null,
        IReadOnlyList<string>? tags = null,
        BatchId? batchId = null,
        string? payload = null,
        int concurrencyLimit = 1) => new()
        {
            Name = name,
            Queue = queue,
            Priority = priority,
            RunAt = runAt ?? T0,
            MaxAttempts = maxAttempts,
            Timeout = timeout,
            UniqueKey = uniqueKey,
            IdempotencyKey = idempotencyKey,
            ConcurrencyKey = concurrencyKey,
            ConcurrencyLimit = concurrencyLimit,
            Tags = tags ?? [],
            BatchId = batchId,
            Payload = payload is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(payload),
        };

    private async Task<JobId> Enqueue(NewJob job)
    {
        var result = Assert.Single(await Store.EnqueueAsync([job], T0));
        Assert.True(result.Created);
        return result.Id;
    }

    private async Task<JobId> EnqueueAndFinish(NewJob job, DateTimeOffset finishedAt)
    {
        var id = await Enqueue(job);
        // Claimed at the finish time: a lease whose expiry has passed could not report (IJobStore remarks).
        var claimed = (await Claim(100, now: finishedAt)).Single(c => c.Id == id);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, claimed.LeaseToken)], Now = finishedAt }));
        return id;
    }

    private async Task<IReadOnlyList<ClaimedJob>> Claim(int maxCount, string owner = "worker", DateTimeOffset? now = null, string queue = JobOptions.DefaultQueue) =>
        await Store.ClaimAsync(new ClaimRequest { Queue = queue, MaxCount = maxCount, Owner = owner, Now = now ?? T0, LeaseDuration = Lease });

    // ---- hand-back (issue 9, item 2) ----

    [Fact]
    public async Task Released_after_a_heartbeat_on_a_retry_counts_no_attempt_and_leaves_no_lease_to_recover()
    {
        var id = await Enqueue(Job("job", maxAttempts: 2));
        var first = Assert.Single(await Claim(1));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, first.LeaseToken, new JobError("E", "m"), T0)], Now = T0 }));
        var second = Assert.Single(await Claim(1));
        Assert.Equal(2, second.Attempt);
        Assert.Empty((await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [new JobLease(id, second.LeaseToken)], LeaseExpiresAt = T0 + (Lease * 2), Now = T0.AddSeconds(1) })).Lost);

        // A prefetched job handed back unrun: its last attempt must still run, whenever it is claimed again.
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(id, second.LeaseToken)], Now = T0.AddSeconds(2) }));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(1, record.Attempts);
        Assert.Null(record.LeaseExpiresAt);
        Assert.Equal(default, await Store.RecoverExpiredLeasesAsync(T0 + (Lease * 3), 100));
        var third = Assert.Single(await Claim(1, now: T0 + (Lease * 3)));
        Assert.Equal(2, third.Attempt);
        Assert.Equal(JobState.Running, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Released_jobs_in_a_batch_of_reports_count_no_attempt_beside_the_successes()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Enqueue(Job($"job-{i}", maxAttempts: 1)));
        }

        var claimed = await Claim(6);
        Assert.Equal(6, claimed.Count);

        // One store call, as the completion writer sends it: successes (the batched path) mixed with hand-backs.
        var reports = claimed.Select((c, i) => i % 2 == 0 ? JobCompletion.Succeeded(c.Id, c.LeaseToken) : JobCompletion.Released(c.Id, c.LeaseToken)).ToList();
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = reports, Now = T0.AddSeconds(1) }));

        for (var i = 0; i < claimed.Count; i++)
        {
            var record = (await Store.GetAsync(claimed[i].Id))!;
            Assert.Equal(i % 2 == 0 ? JobState.Succeeded : JobState.Pending, record.State);
            Assert.Equal(i % 2 == 0 ? 1 : 0, record.Attempts);
        }

        var again = await Claim(6, now: T0.AddSeconds(2));
        Assert.Equal(claimed.Where((_, i) => i % 2 == 1).Select(c => c.Id), again.Select(c => c.Id));
        Assert.All(again, c => Assert.Equal(1, c.Attempt));
    }
}
