using System.Collections.Concurrent;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- unique and idempotency keys ----

    [Fact]
    public async Task Unique_key_returns_the_existing_job_while_it_is_pending_or_running()
    {
        var first = await Store.EnqueueAsync([Job("a", uniqueKey: "k")], T0);
        var whilePending = await Store.EnqueueAsync([Job("b", uniqueKey: "k")], T0);
        var claimed = Assert.Single(await Claim(1));
        var whileRunning = await Store.EnqueueAsync([Job("c", uniqueKey: "k")], T0);

        Assert.True(first[0].Created);
        Assert.Equal(new EnqueueResult(first[0].Id, false), whilePending[0]);
        Assert.Equal(new EnqueueResult(first[0].Id, false), whileRunning[0]);
        Assert.Equal(1, (await Store.CountAsync(null)).Total);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], Now = T0 }));
        var afterFinished = await Store.EnqueueAsync([Job("d", uniqueKey: "k")], T0);
        Assert.True(afterFinished[0].Created);
        Assert.NotEqual(first[0].Id, afterFinished[0].Id);
    }

    [Fact]
    public async Task Unique_key_dedupes_within_one_enqueue_call()
    {
        var results = await Store.EnqueueAsync([Job("a", uniqueKey: "k"), Job("b", uniqueKey: "k"), Job("c")], T0);

        Assert.True(results[0].Created);
        Assert.Equal(new EnqueueResult(results[0].Id, false), results[1]);
        Assert.True(results[2].Created);
        Assert.Equal(2, (await Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task Idempotency_key_dedupes_even_after_the_job_finished_until_it_is_purged()
    {
        var first = await Store.EnqueueAsync([Job("a", idempotencyKey: "occurrence-1")], T0);
        var claimed = Assert.Single(await Claim(1));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], Now = T0 }));

        var afterFinished = await Store.EnqueueAsync([Job("a", idempotencyKey: "occurrence-1")], T0.AddHours(1));
        Assert.Equal(new EnqueueResult(first[0].Id, false), afterFinished[0]);

        Assert.Equal(1, await Store.PurgeAsync(new PurgeRequest { State = JobState.Succeeded }));
        var afterPurge = await Store.EnqueueAsync([Job("a", idempotencyKey: "occurrence-1")], T0.AddHours(2));
        Assert.True(afterPurge[0].Created);
    }

    // ---- concurrency keys ----

    [Fact]
    public async Task Claim_takes_at_most_one_job_per_concurrency_key()
    {
        var a1 = await Enqueue(Job("a1", concurrencyKey: "A"));
        var a2 = await Enqueue(Job("a2", concurrencyKey: "A"));
        var b1 = await Enqueue(Job("b1", concurrencyKey: "B"));
        var free = await Enqueue(Job("free"));

        var claimed = await Claim(10);

        Assert.Equal([a1, b1, free], claimed.Select(c => c.Id));
        Assert.Equal(JobState.Pending, (await Store.GetAsync(a2))!.State);
    }

    [Fact]
    public async Task Claim_skips_a_concurrency_key_held_by_a_running_job_until_it_finishes()
    {
        var a1 = await Enqueue(Job("a1", concurrencyKey: "A"));
        var running = Assert.Single(await Claim(10));
        var a2 = await Enqueue(Job("a2", concurrencyKey: "A", priority: 10));
        var otherQueue = await Enqueue(Job("a3", queue: "other", concurrencyKey: "A"));
        var free = await Enqueue(Job("free"));

        Assert.Equal([free], (await Claim(10)).Select(c => c.Id));
        Assert.Empty(await Claim(10, queue: "other"));

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(a1, running.LeaseToken)], Now = T0 }));
        Assert.Equal([a2], (await Claim(10)).Select(c => c.Id));
        Assert.Empty(await Claim(10, queue: "other"));
        Assert.Equal(JobState.Pending, (await Store.GetAsync(otherQueue))!.State);
    }

    [Fact]
    public async Task Concurrent_claimers_never_run_two_jobs_with_the_same_concurrency_key()
    {
        await Store.EnqueueAsync(Enumerable.Range(0, 60).Select(i => Job($"j{i}", concurrencyKey: $"key-{i % 3}")).ToList(), T0);
        var stores = new[] { Factory.JobStore, Factory.OpenSharedJobStore() };
        var running = new ConcurrentDictionary<string, JobId>();
        var violations = new ConcurrentBag<string>();
        var done = 0;

        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var store = stores[w % stores.Length];
            var idle = 0;
            while (Volatile.Read(ref done) < 60 && idle < 10_000)
            {
                var batch = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 3, Owner = $"w{w}", Now = T0, LeaseDuration = Lease });
                if (batch.Count == 0)
                {
                    idle++;
                    await Task.Yield();
                    continue;
                }

                foreach (var job in batch)
                {
                    if (!running.TryAdd(job.ConcurrencyKey!, job.Id))
                    {
                        violations.Add($"{job.ConcurrencyKey} claimed by {job.Id} while {running[job.ConcurrencyKey!]} runs");
                    }
                }

                foreach (var job in batch)
                {
                    running.TryRemove(job.ConcurrencyKey!, out _);
                    Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(job.Id, job.LeaseToken)], Now = T0 }));
                    Interlocked.Increment(ref done);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(violations);
        Assert.Equal(60, (await Store.CountAsync(null)).Succeeded);
    }
}
