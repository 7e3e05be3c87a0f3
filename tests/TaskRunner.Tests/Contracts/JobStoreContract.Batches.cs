using System.Text;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
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
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(claimed[0].Id, claimed[0].LeaseToken, new JobError("E", "m"), T0)], Now = T0 });
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed[1].Id, claimed[1].LeaseToken), JobCompletion.DeadLettered(claimed[2].Id, claimed[2].LeaseToken, new JobError("E", "m"))], Now = T0 });
        status = (await Store.GetBatchAsync(batch))!;
        Assert.Equal(1, status.Counts.Failed);
        Assert.Equal(1, status.Counts.Succeeded);
        Assert.Equal(1, status.Counts.DeadLettered);
        Assert.Null(status.ContinuationId);
        Assert.Empty(await Store.ListAsync(new JobQuery { Queue = "follow-up" }));

        var retried = Assert.Single(await Claim(3));
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(retried.Id, retried.LeaseToken)], Now = T0 });

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

            var first = Task.Run(async () => { await start.Task; return await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed[0].Id, claimed[0].LeaseToken)], Now = T0 }); });
            var second = Task.Run(async () => { await start.Task; return await other.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed[1].Id, claimed[1].LeaseToken)], Now = T0 }); });
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
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(claimed.Id, claimed.LeaseToken)], Now = T0 });

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
}
