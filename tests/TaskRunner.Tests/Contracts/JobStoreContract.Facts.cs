namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- facts on the record and the claim (issue 10 item 6): every backend fills them ----

    [Fact]
    public async Task Record_carries_created_first_and_last_started_finished_lease_owner_and_expiry()
    {
        var id = await Enqueue(Job("facts", maxAttempts: 3));
        var fresh = (await Store.GetAsync(id))!;
        Assert.Equal(T0, fresh.CreatedAt);
        Assert.Null(fresh.FirstStartedAt);
        Assert.Null(fresh.LastStartedAt);
        Assert.Null(fresh.FinishedAt);
        Assert.Null(fresh.LeaseExpiresAt);

        var firstStart = T0.AddSeconds(1);
        var first = Assert.Single(await Claim(1, owner: "w1", now: firstStart));
        var running = (await Store.GetAsync(id))!;
        Assert.Equal(firstStart, running.FirstStartedAt);
        Assert.Equal(firstStart, running.LastStartedAt);
        Assert.Equal("w1", running.Owner);
        Assert.Equal(firstStart + Lease, running.LeaseExpiresAt);
        Assert.Null(running.FinishedAt);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, first.LeaseToken, new JobError("E", "m"), T0.AddSeconds(5))], Now = T0.AddSeconds(2) }));
        var secondStart = T0.AddSeconds(10);
        var second = Assert.Single(await Claim(1, owner: "w2", now: secondStart));
        var again = (await Store.GetAsync(id))!;
        Assert.Equal(firstStart, again.FirstStartedAt);
        Assert.Equal(secondStart, again.LastStartedAt);
        Assert.Equal("w2", again.Owner);
        Assert.Equal(secondStart + Lease, again.LeaseExpiresAt);

        var finish = T0.AddSeconds(12);
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, second.LeaseToken)], Now = finish }));
        var done = (await Store.GetAsync(id))!;
        Assert.Equal(T0, done.CreatedAt);
        Assert.Equal(firstStart, done.FirstStartedAt);
        Assert.Equal(secondStart, done.LastStartedAt);
        Assert.Equal(finish, done.FinishedAt);
        Assert.Equal("w2", done.Owner);
        Assert.Null(done.LeaseExpiresAt); // no lease once finished
    }

    [Fact]
    public async Task Occurrence_time_is_stored_and_handed_to_the_claimer()
    {
        var occurrence = T0.AddMinutes(-1);
        var result = Assert.Single(await Store.EnqueueAsync([new NewJob { Name = "cron", RunAt = T0, OccurrenceAt = occurrence, MaxAttempts = 1 }], T0));
        var plain = await Enqueue(Job("plain"));

        var claimed = (await Claim(2)).ToDictionary(c => c.Id);

        Assert.Equal(occurrence, claimed[result.Id].OccurrenceAt);
        Assert.Equal(occurrence, (await Store.GetAsync(result.Id))!.OccurrenceAt);
        Assert.Null(claimed[plain].OccurrenceAt);
        Assert.Null((await Store.GetAsync(plain))!.OccurrenceAt);
    }

    [Fact]
    public async Task A_batch_continuation_knows_its_batch_and_other_jobs_know_none()
    {
        var batchId = new BatchId(Guid.NewGuid());
        await Store.CreateBatchAsync(new NewBatch { Id = batchId, Jobs = [Job("shard", batchId: batchId)], Continuation = Job("after") }, T0);
        var shard = Assert.Single(await Claim(1));
        Assert.Null(shard.ContinuationOf);
        Assert.Equal(batchId, shard.BatchId);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(shard.Id, shard.LeaseToken)], Now = T0 }));
        var continuation = Assert.Single(await Claim(1));

        Assert.Equal("after", continuation.Name);
        Assert.Equal(batchId, continuation.ContinuationOf);
        Assert.Equal(batchId, (await Store.GetAsync(continuation.Id))!.ContinuationOf);
        Assert.Null((await Store.GetAsync(shard.Id))!.ContinuationOf);
    }
}
