using System.Collections.Concurrent;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- claim ----

    [Fact]
    public async Task Claim_orders_by_priority_then_run_at_then_id()
    {
        var low = await Enqueue(Job("low", priority: 0, runAt: T0.AddMinutes(-10)));
        var highLate = await Enqueue(Job("high-late", priority: 5, runAt: T0.AddMinutes(-1)));
        var highEarlyB = await Enqueue(Job("high-early-b", priority: 5, runAt: T0.AddMinutes(-5)));
        var highEarlyA = await Enqueue(Job("high-early-a", priority: 5, runAt: T0.AddMinutes(-5)));
        var negative = await Enqueue(Job("negative", priority: -3, runAt: T0.AddMinutes(-20)));

        var claimed = await Claim(10);

        Assert.Equal([highEarlyB, highEarlyA, highLate, low, negative], claimed.Select(c => c.Id));
    }

    [Fact]
    public async Task Claim_takes_at_most_max_count_in_order_and_only_from_its_queue()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Enqueue(Job($"j{i}")));
        }

        var other = await Enqueue(Job("other", queue: "other"));

        var first = await Claim(3);
        var second = await Claim(3);
        var third = await Claim(3);

        Assert.Equal(ids.Take(3), first.Select(c => c.Id));
        Assert.Equal(ids.Skip(3), second.Select(c => c.Id));
        Assert.Empty(third);
        var fromOther = await Claim(3, queue: "other");
        Assert.Equal([other], fromOther.Select(c => c.Id));
    }

    [Fact]
    public async Task Claim_sets_running_owner_lease_and_counts_the_attempt()
    {
        var id = await Enqueue(Job("job", maxAttempts: 4, timeout: TimeSpan.FromSeconds(3), tags: ["t"]));

        var claimed = Assert.Single(await Claim(1, owner: "worker-a", now: T0.AddSeconds(1)));

        Assert.Equal(id, claimed.Id);
        Assert.Equal("job", claimed.Name);
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal(4, claimed.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(3), claimed.Timeout);
        Assert.Equal(["t"], claimed.Tags);
        Assert.Equal(T0.AddSeconds(1) + Lease, claimed.LeaseExpiresAt);
        Assert.True(claimed.LeaseToken > 0);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Running, record.State);
        Assert.Equal("worker-a", record.Owner);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(claimed.LeaseToken, record.LeaseToken);
        Assert.Equal(claimed.LeaseExpiresAt, record.LeaseExpiresAt);
    }

    [Fact]
    public async Task Claim_does_not_take_a_scheduled_job_before_its_run_at()
    {
        var id = await Enqueue(Job("later", runAt: T0.AddMinutes(5)));

        Assert.Empty(await Claim(10, now: T0.AddMinutes(5).AddTicks(-1)));
        var claimed = Assert.Single(await Claim(10, now: T0.AddMinutes(5)));
        Assert.Equal(id, claimed.Id);
    }

    [Fact]
    public async Task Claim_gives_a_greater_lease_token_on_every_claim_of_a_job()
    {
        var id = await Enqueue(Job("job", maxAttempts: 5));
        var tokens = new List<long>();

        var first = Assert.Single(await Claim(1));
        tokens.Add(first.LeaseToken);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(id, first.LeaseToken)], Now = T0 }));
        var second = Assert.Single(await Claim(1));
        tokens.Add(second.LeaseToken);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, second.LeaseToken, new JobError("E", "m"), T0)], Now = T0 }));
        var third = Assert.Single(await Claim(1));
        tokens.Add(third.LeaseToken);
        await Store.RecoverExpiredLeasesAsync(T0 + Lease + TimeSpan.FromSeconds(1), 100);
        var fourth = Assert.Single(await Claim(1, now: T0 + Lease + TimeSpan.FromSeconds(2)));
        tokens.Add(fourth.LeaseToken);

        for (var i = 1; i < tokens.Count; i++)
        {
            Assert.True(tokens[i] > tokens[i - 1], $"token {tokens[i]} after {tokens[i - 1]}");
        }
    }

    [Fact]
    public async Task Concurrent_claimers_claim_every_job_exactly_once()
    {
        const int JobCount = 400;
        await Store.EnqueueAsync(Enumerable.Range(0, JobCount).Select(i => Job($"j{i}")).ToList(), T0);
        var stores = new[] { Factory.JobStore, Factory.OpenSharedJobStore() };
        var claimed = new ConcurrentBag<JobId>();

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var store = stores[w % stores.Length];
            while (true)
            {
                var batch = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 7, Owner = $"w{w}", Now = T0, LeaseDuration = Lease });
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var job in batch)
                {
                    claimed.Add(job.Id);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(JobCount, claimed.Count);
        Assert.Equal(JobCount, claimed.Distinct().Count());
        Assert.Equal(JobCount, (await Store.CountAsync(null)).Running);
    }
}
