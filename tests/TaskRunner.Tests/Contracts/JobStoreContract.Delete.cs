namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- delete one finished job ----

    [Fact]
    public async Task Delete_removes_a_job_in_each_finished_state_and_leaves_waiting_and_running_jobs_alone()
    {
        var succeeded = await EnqueueAndFinish(Job("succeeded"), T0);
        var deadLettered = await Enqueue(Job("dead", maxAttempts: 1));
        var deadClaim = (await Claim(100)).Single(c => c.Id == deadLettered);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(deadLettered, deadClaim.LeaseToken, new JobError("E", "m"))], Now = T0 }));
        var cancelled = await Enqueue(Job("cancelled"));
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(cancelled, T0));

        var running = await Enqueue(Job("running", priority: 5));
        Assert.Equal(running, Assert.Single(await Claim(1)).Id);
        var failed = await Enqueue(Job("failed", priority: 4, maxAttempts: 3));
        var failedClaim = Assert.Single(await Claim(1));
        Assert.Equal(failed, failedClaim.Id);
        // Waiting for its retry: failed, not finished.
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(failed, failedClaim.LeaseToken, new JobError("E", "m"), T0.AddMinutes(1))], Now = T0 }));
        var pending = await Enqueue(Job("pending"));
        var scheduled = await Enqueue(Job("scheduled", runAt: T0.AddHours(1)));

        foreach (var id in new[] { succeeded, deadLettered, cancelled })
        {
            Assert.True(await Store.DeleteAsync(id), $"job {id} is finished and should be deleted");
            Assert.Null(await Store.GetAsync(id));
            Assert.False(await Store.DeleteAsync(id), $"job {id} was deleted already");
        }

        var live = new[] { (running, JobState.Running), (failed, JobState.Failed), (pending, JobState.Pending), (scheduled, JobState.Scheduled) };
        foreach (var (id, state) in live)
        {
            Assert.False(await Store.DeleteAsync(id), $"job {id} is {state} and must stay");
            Assert.Equal(state, (await Store.GetAsync(id))?.State);
        }

        Assert.False(await Store.DeleteAsync(new JobId(987654)));
        var counts = await Store.CountAsync(null);
        Assert.Equal((4L, 0L, 0L, 0L), (counts.Total, counts.Succeeded, counts.DeadLettered, counts.Cancelled));
    }

    [Fact]
    public async Task Delete_frees_the_idempotency_key_of_the_deleted_job()
    {
        var first = await EnqueueAndFinish(Job("occurrence", idempotencyKey: "schedule:2026-03-01T10:00"), T0);
        var again = Assert.Single(await Store.EnqueueAsync([Job("occurrence", idempotencyKey: "schedule:2026-03-01T10:00")], T0));
        Assert.Equal((first, false), (again.Id, again.Created));

        Assert.True(await Store.DeleteAsync(first));

        var after = Assert.Single(await Store.EnqueueAsync([Job("occurrence", idempotencyKey: "schedule:2026-03-01T10:00")], T0));
        Assert.True(after.Created);
        Assert.NotEqual(first, after.Id);
    }

    [Fact]
    public async Task Delete_of_a_finished_batch_job_leaves_the_batch_counting_the_others()
    {
        var batch = BatchId.New();
        var jobs = await Store.CreateBatchAsync(new NewBatch { Id = batch, Jobs = [Job("b0", batchId: batch), Job("b1", batchId: batch)] }, T0);
        var claimed = (await Claim(100)).Single(c => c.Id == jobs[0].Id);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], Now = T0 }));

        Assert.True(await Store.DeleteAsync(jobs[0].Id));

        var status = await Store.GetBatchAsync(batch);
        Assert.NotNull(status);
        Assert.Equal(1, status.Counts.Total);
        Assert.Equal(0, status.Counts.Succeeded);
    }
}
