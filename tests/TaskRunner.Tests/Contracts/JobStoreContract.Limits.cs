using System.Collections.Concurrent;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- concurrency limits of N per key and per queue, across all processes (issue 10 item 5) ----

    [Fact]
    public async Task A_key_with_limit_n_runs_at_most_n_jobs_and_the_next_in_claim_order_takes_a_freed_slot()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Enqueue(Job($"k{i}", concurrencyKey: "k", concurrencyLimit: 3)));
        }

        var plain = await Enqueue(Job("plain"));

        var first = await Claim(10);
        Assert.Equal([ids[0], ids[1], ids[2], plain], first.Select(c => c.Id));
        Assert.Empty(await Claim(10));
        Assert.Equal(2, (await Store.CountAsync(null)).Pending); // waiting for the key is still pending
        Assert.Equal(3, (await Store.GetAsync(ids[0]))!.ConcurrencyLimit);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(ids[1], first[1].LeaseToken)], Now = T0 }));
        Assert.Equal([ids[3]], (await Claim(10)).Select(c => c.Id));
        Assert.Empty(await Claim(10));
    }

    [Fact]
    public async Task A_key_slot_is_freed_by_failure_cancel_and_dead_letter_but_kept_by_release_and_recovery()
    {
        var a = await Enqueue(Job("a", concurrencyKey: "k", concurrencyLimit: 2, maxAttempts: 3));
        var b = await Enqueue(Job("b", concurrencyKey: "k", concurrencyLimit: 2, maxAttempts: 3));
        var c = await Enqueue(Job("c", concurrencyKey: "k", concurrencyLimit: 2, maxAttempts: 3));
        var d = await Enqueue(Job("d", concurrencyKey: "k", concurrencyLimit: 2, maxAttempts: 3));
        var claimed = (await Claim(10)).ToDictionary(j => j.Id);
        Assert.Equal([a, b], claimed.Keys);

        // Released (graceful hand-back) and recovered jobs come back with their slot: c and d still wait.
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(a, claimed[a].LeaseToken)], Now = T0 }));
        Assert.Equal(new RecoveryResult(1, 0), await Store.RecoverExpiredLeasesAsync(T0 + Lease + TimeSpan.FromSeconds(1), 10));
        var later = T0 + Lease + TimeSpan.FromSeconds(2);
        var again = (await Claim(10, now: later)).ToDictionary(j => j.Id);
        Assert.Equal([a, b], again.Keys.Order());

        // A failure gives the slot up (its retry must take one again): c takes it.
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(a, again[a].LeaseToken, new JobError("E", "m"), later)], Now = later }));
        var third = Assert.Single(await Claim(10, now: later));
        Assert.Equal(c, third.Id);

        // Cancelling a waiting job frees nothing; dead-lettering a running one gives its slot to the first waiting job:
        // a's retry (due at `later`, and first in claim order) rather than d.
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(d, later));
        Assert.Empty(await Claim(10, now: later));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(b, again[b].LeaseToken, new JobError("E", "m"))], Now = later }));
        Assert.Equal([a], (await Claim(10, now: later)).Select(j => j.Id));
        Assert.Empty(await Claim(10, now: later));
    }

    [Fact]
    public async Task A_waiting_job_cancelled_or_a_holder_cancelled_before_it_ran_keeps_the_count_right()
    {
        var holder = await Enqueue(Job("holder", concurrencyKey: "k"));
        var waiting = await Enqueue(Job("waiting", concurrencyKey: "k"));
        var last = await Enqueue(Job("last", concurrencyKey: "k"));

        // The pending holder is cancelled before any claim: the slot passes to the next in line.
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(holder, T0));
        var claimed = Assert.Single(await Claim(10));
        Assert.Equal(waiting, claimed.Id);

        // Requeued, the cancelled job needs a slot again, like any other: it waits behind the running one.
        Assert.True(await Store.RequeueAsync(holder, T0));
        Assert.Empty(await Claim(10));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(waiting, claimed.LeaseToken)], Now = T0 }));
        Assert.Equal([holder], (await Claim(10)).Select(j => j.Id)); // claim order: same run-at (T0), lower id
        Assert.Equal(JobState.Pending, (await Store.GetAsync(last))!.State);
    }

    [Fact]
    public async Task A_queue_limit_caps_the_queue_running_across_claims_and_leaves_other_queues_alone()
    {
        for (var i = 0; i < 10; i++)
        {
            await Enqueue(Job($"q{i}"));
        }

        var other = await Enqueue(Job("other", queue: "other"));
        ClaimRequest Request(int max, string queue = JobOptions.DefaultQueue) =>
            new() { Queue = queue, MaxCount = max, Owner = "w", Now = T0, LeaseDuration = Lease, QueueLimit = 4 };

        var first = await Store.ClaimAsync(Request(3));
        Assert.Equal(3, first.Count);
        Assert.Single(await Store.ClaimAsync(Request(10))); // 4 running, counting the first claim's
        Assert.Empty(await Store.ClaimAsync(Request(10)));
        Assert.Equal(other, Assert.Single(await Store.ClaimAsync(Request(10, "other"))).Id);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(first[0].Id, first[0].LeaseToken), JobCompletion.Succeeded(first[1].Id, first[1].LeaseToken)], Now = T0 }));
        Assert.Equal(2, (await Store.ClaimAsync(Request(10))).Count);
        Assert.Empty(await Store.ClaimAsync(Request(10)));
        Assert.Equal(4, (await Store.ClaimAsync(new ClaimRequest { Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease })).Count); // no limit: the rest
    }

    [Fact]
    public async Task Concurrent_claimers_on_two_stores_never_exceed_a_key_limit_or_a_queue_limit()
    {
        const int KeyLimit = 3;
        const int QueueLimit = 5;
        const int Jobs = 90;
        var jobs = Enumerable.Range(0, Jobs).Select(i => i % 3 == 0 ? Job($"free{i}") : Job($"keyed{i}", concurrencyKey: $"key-{i % 2}", concurrencyLimit: KeyLimit)).ToList();
        await Store.EnqueueAsync(jobs, T0);
        var stores = new[] { Factory.JobStore, Factory.OpenSharedJobStore() };
        var runningByKey = new ConcurrentDictionary<string, int>();
        var runningInQueue = 0;
        var violations = new ConcurrentBag<string>();
        var done = 0;

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var store = stores[w % stores.Length];
            var idle = 0;
            while (Volatile.Read(ref done) < Jobs && idle < 10_000)
            {
                var batch = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 4, Owner = $"w{w}", Now = T0, LeaseDuration = Lease, QueueLimit = QueueLimit });
                if (batch.Count == 0)
                {
                    idle++;
                    await Task.Yield();
                    continue;
                }

                // Counted from after the claim returned until before the completion is sent: a count over a limit here
                // means the store had more running at that moment.
                if (Interlocked.Add(ref runningInQueue, batch.Count) > QueueLimit)
                {
                    violations.Add($"more than {QueueLimit} running in the queue");
                }

                foreach (var job in batch.Where(j => j.ConcurrencyKey is not null))
                {
                    if (runningByKey.AddOrUpdate(job.ConcurrencyKey!, 1, (_, n) => n + 1) > KeyLimit)
                    {
                        violations.Add($"more than {KeyLimit} running with {job.ConcurrencyKey}");
                    }
                }

                await Task.Yield(); // let other claimers in while these "run"
                foreach (var job in batch)
                {
                    if (job.ConcurrencyKey is { } key)
                    {
                        runningByKey.AddOrUpdate(key, 0, (_, n) => n - 1);
                    }

                    Interlocked.Decrement(ref runningInQueue);
                    Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(job.Id, job.LeaseToken)], Now = T0 }));
                    Interlocked.Increment(ref done);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(violations);
        Assert.Equal(Jobs, (await Store.CountAsync(null)).Succeeded);
    }
}
