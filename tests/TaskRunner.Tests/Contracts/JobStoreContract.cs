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
}
