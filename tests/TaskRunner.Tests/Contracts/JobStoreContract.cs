using System.Collections.Concurrent;
using System.Text;

namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="IJobStore"/> must have (SPEC §2).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract partial class JobStoreContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private IJobStore Store => Factory.JobStore;

    // ---- enqueue ----

    [Fact]
    public async Task Enqueue_stores_every_field_and_reads_it_back()
    {
        var batch = BatchId.New();
        var job = new NewJob
        {
            Name = "email.send",
            Payload = Encoding.UTF8.GetBytes("""{"to":"a@b.c"}"""),
            Queue = "mail",
            Priority = 7,
            RunAt = T0,
            MaxAttempts = 5,
            Timeout = TimeSpan.FromSeconds(90),
            UniqueKey = "u-1",
            IdempotencyKey = "i-1",
            ConcurrencyKey = "c-1",
            Tags = ["red", "blue"],
            BatchId = batch,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        var results = await Store.EnqueueAsync([job], T0);

        var result = Assert.Single(results);
        Assert.True(result.Created);
        var record = await Store.GetAsync(result.Id);
        Assert.NotNull(record);
        Assert.Equal(result.Id, record.Id);
        Assert.Equal("email.send", record.Name);
        Assert.Equal("mail", record.Queue);
        Assert.Equal(job.Payload.ToArray(), record.Payload.ToArray());
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(7, record.Priority);
        Assert.Equal(T0, record.RunAt);
        Assert.Equal(T0, record.CreatedAt);
        Assert.Equal(0, record.Attempts);
        Assert.Equal(5, record.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(90), record.Timeout);
        Assert.Equal("u-1", record.UniqueKey);
        Assert.Equal("i-1", record.IdempotencyKey);
        Assert.Equal("c-1", record.ConcurrencyKey);
        Assert.Equal(["red", "blue"], record.Tags);
        Assert.Equal(batch, record.BatchId);
        Assert.Equal(job.TraceParent, record.TraceParent);
        Assert.Null(record.Owner);
        Assert.Null(record.LeaseExpiresAt);
        Assert.False(record.CancellationRequested);
        Assert.Null(record.Result);
        Assert.Null(record.LastError);
        Assert.Null(record.FinishedAt);
    }

    [Fact]
    public async Task Enqueue_of_an_unknown_id_reads_null()
    {
        Assert.Null(await Store.GetAsync(new JobId(424242)));
    }

    [Fact]
    public async Task Enqueue_many_returns_one_result_per_job_in_order_with_growing_ids()
    {
        var jobs = Enumerable.Range(0, 50).Select(i => Job($"job-{i}")).ToList();

        var results = await Store.EnqueueAsync(jobs, T0);

        Assert.Equal(50, results.Count);
        Assert.All(results, r => Assert.True(r.Created));
        for (var i = 1; i < results.Count; i++)
        {
            Assert.True(results[i].Id > results[i - 1].Id, "ids grow with insertion order");
        }

        for (var i = 0; i < results.Count; i += 17)
        {
            Assert.Equal($"job-{i}", (await Store.GetAsync(results[i].Id))!.Name);
        }
    }

    [Fact]
    public async Task Enqueue_many_mixing_keyed_and_plain_jobs_keeps_results_in_order()
    {
        var existing = await Enqueue(Job("existing", uniqueKey: "taken"));
        var jobs = new List<NewJob>();
        for (var i = 0; i < 70; i++)
        {
            jobs.Add(i % 9 == 4 ? Job($"j{i}", uniqueKey: i == 13 ? "taken" : $"u{i}") : Job($"j{i}"));
        }

        var results = await Store.EnqueueAsync(jobs, T0);

        Assert.Equal(70, results.Count);
        for (var i = 0; i < 70; i++)
        {
            if (i == 13)
            {
                Assert.Equal(new EnqueueResult(existing, false), results[i]);
                continue;
            }

            Assert.True(results[i].Created);
            Assert.Equal($"j{i}", (await Store.GetAsync(results[i].Id))!.Name);
        }
    }

    [Fact]
    public async Task Enqueue_is_pending_when_due_and_scheduled_when_run_at_is_in_the_future()
    {
        var results = await Store.EnqueueAsync(
        [
            Job("past", runAt: T0.AddMinutes(-1)),
            Job("now", runAt: T0), // due exactly now: pending
            Job("future", runAt: T0.AddTicks(1)),
        ], T0);

        Assert.Equal(JobState.Pending, (await Store.GetAsync(results[0].Id))!.State);
        Assert.Equal(JobState.Pending, (await Store.GetAsync(results[1].Id))!.State);
        Assert.Equal(JobState.Scheduled, (await Store.GetAsync(results[2].Id))!.State);
    }

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
        Assert.Empty(await Store.CompleteAsync([JobCompletion.Released(id, first.LeaseToken)], T0));
        var second = Assert.Single(await Claim(1));
        tokens.Add(second.LeaseToken);
        Assert.Empty(await Store.CompleteAsync([JobCompletion.Failed(id, second.LeaseToken, new JobError("E", "m"), T0)], T0));
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

    // ---- heartbeat ----

    [Fact]
    public async Task Heartbeat_extends_held_leases_and_reports_lost_ones()
    {
        var held = await Enqueue(Job("held"));
        var stale = await Enqueue(Job("stale"));
        var claimed = await Claim(2);
        var heldLease = new JobLease(held, claimed.Single(c => c.Id == held).LeaseToken);
        var staleLease = new JobLease(stale, claimed.Single(c => c.Id == stale).LeaseToken - 1);
        var neverClaimed = new JobLease(await Enqueue(Job("pending")), 1);
        var extended = T0.AddMinutes(2);

        var result = await Store.HeartbeatAsync([heldLease, staleLease, neverClaimed], extended, T0.AddSeconds(10));

        Assert.Equal([stale, neverClaimed.Id], result.Lost.Order());
        Assert.Empty(result.CancellationRequested);
        Assert.Equal(extended, (await Store.GetAsync(held))!.LeaseExpiresAt);
        Assert.Equal(T0 + Lease, (await Store.GetAsync(stale))!.LeaseExpiresAt);
    }

    [Fact]
    public async Task Heartbeat_keeps_an_extended_lease_from_being_recovered()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        await Store.HeartbeatAsync([new JobLease(id, claimed.LeaseToken)], T0.AddMinutes(10), T0.AddSeconds(20));
        var recovered = await Store.RecoverExpiredLeasesAsync(T0.AddMinutes(5), 100);

        Assert.Equal(default, recovered);
        Assert.Equal(JobState.Running, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Heartbeat_reports_a_cancellation_request_for_a_held_job()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        Assert.Equal(CancelResult.CancellationRequested, await Store.CancelAsync(id, T0));
        var result = await Store.HeartbeatAsync([new JobLease(id, claimed.LeaseToken)], T0.AddMinutes(1), T0);

        Assert.Equal([id], result.CancellationRequested);
        Assert.Empty(result.Lost);
        Assert.True((await Store.GetAsync(id))!.CancellationRequested);
    }

    // ---- complete ----

    [Fact]
    public async Task Complete_succeeded_stores_the_result_and_finishes_the_job()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));
        var resultBytes = Encoding.UTF8.GetBytes("""{"ok":true}""");

        var rejected = await Store.CompleteAsync([JobCompletion.Succeeded(id, claimed.LeaseToken, resultBytes)], T0.AddSeconds(3));

        Assert.Empty(rejected);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Succeeded, record.State);
        Assert.Equal(resultBytes, record.Result!.Value.ToArray());
        Assert.Equal(T0.AddSeconds(3), record.FinishedAt);
        Assert.Empty(await Claim(10, now: T0.AddHours(1)));
    }

    [Fact]
    public async Task Complete_with_a_stale_lease_token_is_rejected_and_leaves_the_new_owner_untouched()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        var first = Assert.Single(await Claim(1, owner: "old"));
        var later = T0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal(new RecoveryResult(1, 0), await Store.RecoverExpiredLeasesAsync(later, 100));
        var second = Assert.Single(await Claim(1, owner: "new", now: later));

        var rejected = await Store.CompleteAsync(
            [JobCompletion.Succeeded(id, first.LeaseToken, Encoding.UTF8.GetBytes("stale"))], later);
        var progressHeld = await Store.ReportProgressAsync(new JobLease(id, first.LeaseToken), 50, "stale", later);

        Assert.Equal([id], rejected);
        Assert.False(progressHeld);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Running, record.State);
        Assert.Equal("new", record.Owner);
        Assert.Equal(second.LeaseToken, record.LeaseToken);
        Assert.Null(record.Result);
        Assert.Null(record.ProgressPercent);

        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(id, second.LeaseToken)], later));
        Assert.Equal(JobState.Succeeded, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Complete_applies_a_list_and_rejects_only_the_stale_reports()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Enqueue(Job($"j{i}")));
        }

        var claimed = await Claim(4);
        var completions = claimed.Select((c, i) => JobCompletion.Succeeded(c.Id, i == 2 ? c.LeaseToken + 100 : c.LeaseToken)).ToList();

        var rejected = await Store.CompleteAsync(completions, T0);

        Assert.Equal([claimed[2].Id], rejected);
        Assert.Equal(3, (await Store.CountAsync(null)).Succeeded);
        Assert.Equal(1, (await Store.CountAsync(null)).Running);
    }

    [Fact]
    public async Task Complete_of_an_already_finished_job_is_rejected()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));
        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(id, claimed.LeaseToken)], T0));

        var rejected = await Store.CompleteAsync([JobCompletion.DeadLettered(id, claimed.LeaseToken, new JobError("E", "late"))], T0);

        Assert.Equal([id], rejected);
        Assert.Equal(JobState.Succeeded, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Failed_job_keeps_its_error_and_is_claimable_again_at_retry_at_not_before()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        var retryAt = T0.AddSeconds(30);
        var error = new JobError("System.InvalidOperationException", "boom", "at Handler.Run()");

        Assert.Empty(await Store.CompleteAsync([JobCompletion.Failed(id, claimed.LeaseToken, error, retryAt)], T0.AddSeconds(1)));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal(retryAt, record.RunAt);
        Assert.Equal(error, record.LastError);
        Assert.Equal(1, record.Attempts);
        Assert.Null(record.FinishedAt);
        Assert.Empty(await Claim(1, now: retryAt.AddTicks(-1)));
        var again = Assert.Single(await Claim(1, now: retryAt));
        Assert.Equal(2, again.Attempt);
        Assert.True(again.LeaseToken > claimed.LeaseToken);
    }

    [Fact]
    public async Task Dead_lettered_and_cancelled_outcomes_finish_the_job_with_their_error()
    {
        var dead = await Enqueue(Job("dead"));
        var cancelled = await Enqueue(Job("cancelled"));
        var claimed = await Claim(2);
        var deadError = new JobError("HandlerNotRegistered", "no handler for 'dead'");

        Assert.Empty(await Store.CompleteAsync(
        [
            JobCompletion.DeadLettered(dead, claimed.Single(c => c.Id == dead).LeaseToken, deadError),
            JobCompletion.Cancelled(cancelled, claimed.Single(c => c.Id == cancelled).LeaseToken),
        ], T0.AddSeconds(2)));

        var deadRecord = (await Store.GetAsync(dead))!;
        Assert.Equal(JobState.DeadLettered, deadRecord.State);
        Assert.Equal(deadError, deadRecord.LastError);
        Assert.Equal(T0.AddSeconds(2), deadRecord.FinishedAt);
        var cancelledRecord = (await Store.GetAsync(cancelled))!;
        Assert.Equal(JobState.Cancelled, cancelledRecord.State);
        Assert.Equal(T0.AddSeconds(2), cancelledRecord.FinishedAt);
        Assert.Empty(await Claim(10, now: T0.AddDays(1)));
    }

    [Fact]
    public async Task Released_job_is_pending_again_and_the_attempt_is_not_counted()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        var claimed = Assert.Single(await Claim(1));

        Assert.Empty(await Store.CompleteAsync([JobCompletion.Released(id, claimed.LeaseToken)], T0));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(0, record.Attempts);
        Assert.Null(record.FinishedAt);
        var again = Assert.Single(await Claim(1));
        Assert.Equal(1, again.Attempt);
    }

    [Fact]
    public async Task Progress_is_stored_while_the_lease_is_held()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        Assert.True(await Store.ReportProgressAsync(new JobLease(id, claimed.LeaseToken), 40, "copying", T0));
        Assert.True(await Store.ReportProgressAsync(new JobLease(id, claimed.LeaseToken), 75, "indexing", T0));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(75, record.ProgressPercent);
        Assert.Equal("indexing", record.ProgressMessage);
    }

    // ---- stale recovery ----

    [Fact]
    public async Task Recovery_returns_an_expired_lease_to_pending_with_the_attempt_counted()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        Assert.Single(await Claim(1));

        Assert.Equal(default, await Store.RecoverExpiredLeasesAsync(T0 + Lease - TimeSpan.FromSeconds(1), 100));
        var result = await Store.RecoverExpiredLeasesAsync(T0 + Lease + TimeSpan.FromSeconds(1), 100);

        Assert.Equal(new RecoveryResult(1, 0), result);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(1, record.Attempts);
        var again = Assert.Single(await Claim(1, now: T0 + Lease + TimeSpan.FromSeconds(2)));
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public async Task Recovery_dead_letters_a_job_whose_last_attempt_lost_its_lease()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        Assert.Single(await Claim(1));
        var now = T0 + Lease + TimeSpan.FromSeconds(1);

        var result = await Store.RecoverExpiredLeasesAsync(now, 100);

        Assert.Equal(new RecoveryResult(0, 1), result);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.DeadLettered, record.State);
        Assert.Equal(now, record.FinishedAt);
        Assert.NotNull(record.LastError);
        Assert.Contains("lease", record.LastError.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expired", record.LastError.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Recovery_handles_at_most_max_count_jobs_per_call()
    {
        await Store.EnqueueAsync(Enumerable.Range(0, 5).Select(i => Job($"j{i}", maxAttempts: 2)).ToList(), T0);
        Assert.Equal(5, (await Claim(5)).Count);
        var now = T0 + Lease + TimeSpan.FromSeconds(1);

        var first = await Store.RecoverExpiredLeasesAsync(now, 3);
        var second = await Store.RecoverExpiredLeasesAsync(now, 3);
        var third = await Store.RecoverExpiredLeasesAsync(now, 3);

        Assert.Equal(3, first.Requeued + first.DeadLettered);
        Assert.Equal(2, second.Requeued + second.DeadLettered);
        Assert.Equal(default, third);
        Assert.Equal(5, (await Store.CountAsync(null)).Pending);
    }

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

        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], T0));
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
        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], T0));

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

        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(a1, running.LeaseToken)], T0));
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
                    Assert.Empty(await store.CompleteAsync([JobCompletion.Succeeded(job.Id, job.LeaseToken)], T0));
                    Interlocked.Increment(ref done);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(violations);
        Assert.Equal(60, (await Store.CountAsync(null)).Succeeded);
    }

    // ---- cancel, requeue, purge ----

    [Fact]
    public async Task Cancel_cancels_waiting_jobs_flags_running_ones_and_reports_finished_and_unknown()
    {
        var pending = await Enqueue(Job("pending"));
        var scheduled = await Enqueue(Job("scheduled", runAt: T0.AddHours(1)));
        var running = await Enqueue(Job("running", priority: 1));
        var runningClaim = Assert.Single(await Claim(1));
        Assert.Equal(running, runningClaim.Id);

        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(pending, T0.AddSeconds(1)));
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(scheduled, T0.AddSeconds(1)));
        Assert.Equal(CancelResult.CancellationRequested, await Store.CancelAsync(running, T0.AddSeconds(1)));
        Assert.Equal(CancelResult.NotFound, await Store.CancelAsync(new JobId(987654), T0));
        Assert.Equal(CancelResult.AlreadyFinished, await Store.CancelAsync(pending, T0.AddSeconds(2)));

        var cancelledRecord = (await Store.GetAsync(pending))!;
        Assert.Equal(JobState.Cancelled, cancelledRecord.State);
        Assert.Equal(T0.AddSeconds(1), cancelledRecord.FinishedAt);
        Assert.Equal(JobState.Cancelled, (await Store.GetAsync(scheduled))!.State);
        var runningRecord = (await Store.GetAsync(running))!;
        Assert.Equal(JobState.Running, runningRecord.State);
        Assert.True(runningRecord.CancellationRequested);
        Assert.Empty(await Claim(10, now: T0.AddHours(2)));
    }

    [Fact]
    public async Task Cancel_of_a_failed_job_waiting_for_retry_cancels_it()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        await Store.CompleteAsync([JobCompletion.Failed(id, claimed.LeaseToken, new JobError("E", "m"), T0.AddMinutes(1))], T0);

        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(id, T0));
        Assert.Empty(await Claim(1, now: T0.AddMinutes(2)));
    }

    [Fact]
    public async Task Requeue_moves_a_dead_letter_back_to_pending_with_attempts_reset()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        var claimed = Assert.Single(await Claim(1));
        await Store.CompleteAsync([JobCompletion.DeadLettered(id, claimed.LeaseToken, new JobError("E", "m"))], T0);
        var pending = await Enqueue(Job("other"));

        Assert.True(await Store.RequeueAsync(id, T0.AddMinutes(1)));
        Assert.False(await Store.RequeueAsync(pending, T0.AddMinutes(1)));
        Assert.False(await Store.RequeueAsync(new JobId(999999), T0.AddMinutes(1)));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(0, record.Attempts);
        Assert.Null(record.FinishedAt);
        var again = (await Claim(10, now: T0.AddMinutes(1))).Single(c => c.Id == id);
        Assert.Equal(1, again.Attempt);
        Assert.True(again.LeaseToken > claimed.LeaseToken);
    }

    [Fact]
    public async Task Purge_deletes_only_finished_jobs_of_the_state_finished_before_the_cutoff()
    {
        var early = await EnqueueAndFinish(Job("early"), T0.AddMinutes(1));
        var late = await EnqueueAndFinish(Job("late"), T0.AddMinutes(10));
        var deadId = await Enqueue(Job("dead"));
        var deadClaim = Assert.Single(await Claim(1));
        await Store.CompleteAsync([JobCompletion.DeadLettered(deadId, deadClaim.LeaseToken, new JobError("E", "m"))], T0.AddMinutes(1));
        var pending = await Enqueue(Job("pending"));

        var purged = await Store.PurgeAsync(new PurgeRequest { State = JobState.Succeeded, FinishedBefore = T0.AddMinutes(5) });

        Assert.Equal(1, purged);
        Assert.Null(await Store.GetAsync(early));
        Assert.NotNull(await Store.GetAsync(late));
        Assert.NotNull(await Store.GetAsync(deadId));
        Assert.NotNull(await Store.GetAsync(pending));

        Assert.Equal(1, await Store.PurgeAsync(new PurgeRequest { State = JobState.DeadLettered }));
        Assert.Null(await Store.GetAsync(deadId));
        Assert.NotNull(await Store.GetAsync(pending));
    }

    [Fact]
    public async Task Purge_deletes_at_most_max_count()
    {
        for (var i = 0; i < 5; i++)
        {
            await EnqueueAndFinish(Job($"j{i}"), T0);
        }

        Assert.Equal(2, await Store.PurgeAsync(new PurgeRequest { State = JobState.Succeeded, MaxCount = 2 }));
        Assert.Equal(3, (await Store.CountAsync(null)).Succeeded);
        Assert.Equal(3, await Store.PurgeAsync(new PurgeRequest { State = JobState.Succeeded }));
        Assert.Equal(0, (await Store.CountAsync(null)).Total);
    }

    // ---- list and count ----

    [Fact]
    public async Task List_filters_by_state_queue_and_batch_and_pages_by_id()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Enqueue(Job($"d{i}")));
        }

        var mail = await Enqueue(Job("m", queue: "mail"));
        var scheduled = await Enqueue(Job("s", runAt: T0.AddHours(1)));
        var batch = BatchId.New();
        var batchIds = await Store.CreateBatchAsync(new NewBatch { Id = batch, Jobs = [Job("b0", batchId: batch), Job("b1", batchId: batch)] }, T0);

        var all = await Store.ListAsync(new JobQuery { Limit = 100 });
        Assert.Equal(10, all.Count);
        Assert.Equal(all.Select(r => r.Id).Order(), all.Select(r => r.Id));

        var page1 = await Store.ListAsync(new JobQuery { Queue = "default", State = JobState.Pending, Limit = 4 });
        var page2 = await Store.ListAsync(new JobQuery { Queue = "default", State = JobState.Pending, Limit = 4, AfterId = page1[^1].Id });
        Assert.Equal(ids.Take(4), page1.Select(r => r.Id));
        Assert.Equal(ids.Skip(4).Concat(batchIds.Select(r => r.Id)), page2.Select(r => r.Id));

        Assert.Equal([mail], (await Store.ListAsync(new JobQuery { Queue = "mail" })).Select(r => r.Id));
        Assert.Equal([scheduled], (await Store.ListAsync(new JobQuery { State = JobState.Scheduled })).Select(r => r.Id));
        Assert.Equal(batchIds.Select(r => r.Id), (await Store.ListAsync(new JobQuery { BatchId = batch })).Select(r => r.Id));
    }

    [Fact]
    public async Task Count_counts_by_state_for_one_queue_or_all()
    {
        await Store.EnqueueAsync([Job("a"), Job("b"), Job("c"), Job("later", runAt: T0.AddHours(1)), Job("m", queue: "mail")], T0);
        var claimed = await Claim(2);
        await Store.CompleteAsync([JobCompletion.Succeeded(claimed[0].Id, claimed[0].LeaseToken)], T0);

        var all = await Store.CountAsync(null);
        var defaults = await Store.CountAsync("default");
        var none = await Store.CountAsync("nothing-here");

        Assert.Equal(5, all.Total);
        Assert.Equal(2, all.Pending);
        Assert.Equal(1, all.Running);
        Assert.Equal(1, all.Succeeded);
        Assert.Equal(1, all.Scheduled);
        Assert.Equal(4, defaults.Total);
        Assert.Equal(1, defaults.Pending);
        Assert.Equal(0, none.Total);
    }

    // ---- batches ----

    [Fact]
    public async Task Batch_counts_its_jobs_by_state_and_enqueues_the_continuation_once_when_the_last_finishes()
    {
        var batch = BatchId.New();
        var results = await Store.CreateBatchAsync(new NewBatch
        {
            Id = batch,
            Jobs = [Job("s0", batchId: batch, maxAttempts: 2), Job("s1", batchId: batch), Job("s2", batchId: batch)],
            Continuation = Job("after-all", queue: "follow-up", payload: "{}"),
        }, T0);

        Assert.Equal(3, results.Count);
        var status = (await Store.GetBatchAsync(batch))!;
        Assert.Equal(3, status.Counts.Pending);
        Assert.False(status.IsFinished);
        Assert.Null(status.ContinuationId);

        var claimed = await Claim(3);
        await Store.CompleteAsync([JobCompletion.Failed(claimed[0].Id, claimed[0].LeaseToken, new JobError("E", "m"), T0)], T0);
        await Store.CompleteAsync([JobCompletion.Succeeded(claimed[1].Id, claimed[1].LeaseToken), JobCompletion.DeadLettered(claimed[2].Id, claimed[2].LeaseToken, new JobError("E", "m"))], T0);
        status = (await Store.GetBatchAsync(batch))!;
        Assert.Equal(1, status.Counts.Failed);
        Assert.Equal(1, status.Counts.Succeeded);
        Assert.Equal(1, status.Counts.DeadLettered);
        Assert.Null(status.ContinuationId);
        Assert.Empty(await Store.ListAsync(new JobQuery { Queue = "follow-up" }));

        var retried = Assert.Single(await Claim(3));
        await Store.CompleteAsync([JobCompletion.Succeeded(retried.Id, retried.LeaseToken)], T0);

        status = (await Store.GetBatchAsync(batch))!;
        Assert.True(status.IsFinished);
        Assert.NotNull(status.ContinuationId);
        var continuation = Assert.Single(await Store.ListAsync(new JobQuery { Queue = "follow-up" }));
        Assert.Equal(status.ContinuationId, continuation.Id);
        Assert.Equal("after-all", continuation.Name);
        Assert.Equal(JobState.Pending, continuation.State);
        Assert.Equal("{}", Encoding.UTF8.GetString(continuation.Payload.Span));
    }

    [Fact]
    public async Task Batch_continuation_is_enqueued_once_when_two_workers_finish_the_last_jobs_concurrently()
    {
        for (var round = 0; round < 5; round++)
        {
            var batch = BatchId.New();
            var queue = $"shards-{round}";
            await Store.CreateBatchAsync(new NewBatch
            {
                Id = batch,
                Jobs = [Job("a", queue: queue, batchId: batch), Job("b", queue: queue, batchId: batch)],
                Continuation = Job("then", queue: $"then-{round}"),
            }, T0);
            var claimed = await Claim(2, queue: queue);
            var other = Factory.OpenSharedJobStore();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            var first = Task.Run(async () => { await start.Task; return await Store.CompleteAsync([JobCompletion.Succeeded(claimed[0].Id, claimed[0].LeaseToken)], T0); });
            var second = Task.Run(async () => { await start.Task; return await other.CompleteAsync([JobCompletion.Succeeded(claimed[1].Id, claimed[1].LeaseToken)], T0); });
            start.SetResult();
            var rejected = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.All(rejected, Assert.Empty);
            Assert.Single(await Store.ListAsync(new JobQuery { Queue = $"then-{round}" }));
            Assert.NotNull((await Store.GetBatchAsync(batch))!.ContinuationId);
        }
    }

    [Fact]
    public async Task Batch_without_continuation_finishes_and_unknown_batch_reads_null()
    {
        var batch = BatchId.New();
        await Store.CreateBatchAsync(new NewBatch { Id = batch, Jobs = [Job("only", batchId: batch)] }, T0);
        var claimed = Assert.Single(await Claim(1));
        await Store.CompleteAsync([JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], T0);

        var status = (await Store.GetBatchAsync(batch))!;
        Assert.True(status.IsFinished);
        Assert.Null(status.ContinuationId);
        Assert.Equal(1, (await Store.CountAsync(null)).Total);
        Assert.Null(await Store.GetBatchAsync(BatchId.New()));
    }

    [Fact]
    public async Task Batch_continuation_follows_a_cancelled_last_job()
    {
        var batch = BatchId.New();
        var results = await Store.CreateBatchAsync(new NewBatch
        {
            Id = batch,
            Jobs = [Job("a", batchId: batch)],
            Continuation = Job("then", queue: "then"),
        }, T0);

        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(results[0].Id, T0));

        Assert.Single(await Store.ListAsync(new JobQuery { Queue = "then" }));
        Assert.NotNull((await Store.GetBatchAsync(batch))!.ContinuationId);
    }

    // ---- next run-at and change version ----

    [Fact]
    public async Task Next_run_at_is_the_earliest_scheduled_or_failed_run_at()
    {
        Assert.Null(await Store.GetNextRunAtAsync());
        await Enqueue(Job("pending"));
        Assert.Null(await Store.GetNextRunAtAsync());

        await Enqueue(Job("in-ten", runAt: T0.AddMinutes(10)));
        await Enqueue(Job("in-five", runAt: T0.AddMinutes(5)));
        Assert.Equal(T0.AddMinutes(5), await Store.GetNextRunAtAsync());

        var failing = await Enqueue(Job("failing", priority: 9, maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        Assert.Equal(failing, claimed.Id);
        await Store.CompleteAsync([JobCompletion.Failed(failing, claimed.LeaseToken, new JobError("E", "m"), T0.AddMinutes(2))], T0);
        Assert.Equal(T0.AddMinutes(2), await Store.GetNextRunAtAsync());
    }

    [Fact]
    public async Task Change_version_moves_when_another_store_on_the_same_storage_writes()
    {
        if (!Store.Capabilities.HasFlag(JobStoreCapabilities.ChangeVersion))
        {
            await Assert.ThrowsAsync<NotSupportedException>(async () => await Store.GetChangeVersionAsync());
            return;
        }

        var before = await Store.GetChangeVersionAsync();
        Assert.Equal(before, await Store.GetChangeVersionAsync());

        await Factory.OpenSharedJobStore().EnqueueAsync([Job("elsewhere")], T0);
        var afterOther = await Store.GetChangeVersionAsync();
        Assert.NotEqual(before, afterOther);

        await Store.EnqueueAsync([Job("here")], T0);
        Assert.NotEqual(afterOther, await Store.GetChangeVersionAsync());
    }

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
        string? payload = null) => new()
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
        var claimed = (await Claim(100)).Single(c => c.Id == id);
        Assert.Empty(await Store.CompleteAsync([JobCompletion.Succeeded(id, claimed.LeaseToken)], finishedAt));
        return id;
    }

    private async Task<IReadOnlyList<ClaimedJob>> Claim(int maxCount, string owner = "worker", DateTimeOffset? now = null, string queue = JobOptions.DefaultQueue) =>
        await Store.ClaimAsync(new ClaimRequest { Queue = queue, MaxCount = maxCount, Owner = owner, Now = now ?? T0, LeaseDuration = Lease });
}
