namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
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
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, claimed.LeaseToken, new JobError("E", "m"), T0.AddMinutes(1))], Now = T0 });

        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(id, T0));
        Assert.Empty(await Claim(1, now: T0.AddMinutes(2)));
    }

    [Fact]
    public async Task Requeue_moves_a_dead_letter_back_to_pending_with_attempts_reset()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        var claimed = Assert.Single(await Claim(1));
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(id, claimed.LeaseToken, new JobError("E", "m"))], Now = T0 });
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
        var deadClaim = Assert.Single(await Claim(1, now: T0.AddMinutes(1)));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(deadId, deadClaim.LeaseToken, new JobError("E", "m"))], Now = T0.AddMinutes(1) }));
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
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed[0].Id, claimed[0].LeaseToken)], Now = T0 });

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

    // ---- next run-at and change version ----

    [Fact]
    public async Task Next_run_at_is_the_earliest_scheduled_or_failed_run_at()
    {
        Assert.Null(await Store.GetNextRunAtAsync(T0));
        await Enqueue(Job("pending"));
        Assert.Null(await Store.GetNextRunAtAsync(T0));

        await Enqueue(Job("in-ten", runAt: T0.AddMinutes(10)));
        await Enqueue(Job("in-five", runAt: T0.AddMinutes(5)));
        Assert.Equal(T0.AddMinutes(5), await Store.GetNextRunAtAsync(T0));

        var failing = await Enqueue(Job("failing", priority: 9, maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        Assert.Equal(failing, claimed.Id);
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(failing, claimed.LeaseToken, new JobError("E", "m"), T0.AddMinutes(2))], Now = T0 });
        Assert.Equal(T0.AddMinutes(2), await Store.GetNextRunAtAsync(T0));
    }

    [Fact]
    public async Task Next_run_at_is_after_now_so_a_due_job_nobody_claims_hides_no_later_one()
    {
        // The due-time wake-ups ask for the next run-at right after waking for one: a job due by then (say, on a queue no
        // process here serves) is claimable already and must not be reported again in place of the next one.
        await Enqueue(Job("due", queue: "elsewhere", runAt: T0.AddSeconds(1)));
        await Enqueue(Job("next", runAt: T0.AddSeconds(2)));
        var failing = await Enqueue(Job("failing", maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        Assert.Equal(failing, claimed.Id);
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(failing, claimed.LeaseToken, new JobError("E", "m"), T0.AddSeconds(3))], Now = T0 });

        Assert.Equal(T0.AddSeconds(1), await Store.GetNextRunAtAsync(T0.AddSeconds(0.5)));
        Assert.Equal(T0.AddSeconds(2), await Store.GetNextRunAtAsync(T0.AddSeconds(1))); // at its run-at a job is due
        Assert.Equal(T0.AddSeconds(3), await Store.GetNextRunAtAsync(T0.AddSeconds(2.5)));
        Assert.Null(await Store.GetNextRunAtAsync(T0.AddSeconds(3)));

        // Asking moved nothing: the due jobs are still there to claim, in the claim's order.
        var due = await Store.ClaimAsync(new ClaimRequest { Queue = "elsewhere", MaxCount = 10, Owner = "w", Now = T0.AddSeconds(3), LeaseDuration = TimeSpan.FromMinutes(1) });
        Assert.Equal("due", Assert.Single(due).Name);
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
}
