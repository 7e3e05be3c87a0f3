using TaskRunner.Storage;

namespace TaskRunner.Tests.Storage;

/// <summary>The in-memory store's batch tracking on its own: counts by state and a continuation handed out once.</summary>
public sealed class InMemoryBatchesTests
{
    private static readonly BatchId Id = new(Guid.NewGuid());

    [Fact]
    public void Counts_follow_each_job_from_its_arrival_through_its_states_to_its_purge()
    {
        var batches = new InMemoryBatches();
        Assert.True(batches.TryAdd(Id, continuation: null));

        batches.Move(Id, from: null, to: JobState.Scheduled);
        batches.Move(Id, from: null, to: JobState.Scheduled);
        batches.Move(Id, from: JobState.Scheduled, to: JobState.Pending);
        batches.Move(Id, from: JobState.Pending, to: JobState.Running);
        batches.Move(Id, from: JobState.Running, to: JobState.Succeeded);
        var counts = batches.GetStatus(Id)!.Counts;
        Assert.Equal((1, 0, 0, 1, 2), (counts.Scheduled, counts.Pending, counts.Running, counts.Succeeded, counts.Total));

        batches.Move(Id, from: JobState.Succeeded, to: null);
        counts = batches.GetStatus(Id)!.Counts;
        Assert.Equal((1, 0, 1), (counts.Scheduled, counts.Succeeded, counts.Total));
    }

    [Fact]
    public void A_batch_finishes_once_when_its_last_unfinished_job_finishes_and_hands_out_its_continuation_then()
    {
        var batches = new InMemoryBatches();
        var continuation = new NewJob { Name = "after" };
        batches.TryAdd(Id, continuation);
        batches.Move(Id, from: null, to: JobState.Pending);
        batches.Move(Id, from: null, to: JobState.Failed); // waiting for a retry: unfinished

        batches.Move(Id, from: JobState.Pending, to: JobState.DeadLettered);
        Assert.False(batches.TryFinish(Id, out _));

        batches.Move(Id, from: JobState.Failed, to: JobState.Cancelled);
        Assert.True(batches.TryFinish(Id, out var released));
        Assert.Same(continuation, released);
        Assert.False(batches.TryFinish(Id, out _)); // once only

        Assert.Null(batches.GetStatus(Id)!.ContinuationId);
        batches.SetContinuationId(Id, new JobId(42));
        Assert.Equal(new JobId(42), batches.GetStatus(Id)!.ContinuationId);
    }

    [Fact]
    public void An_empty_batch_is_finished_at_once_and_one_without_continuation_hands_out_none()
    {
        var batches = new InMemoryBatches();
        batches.TryAdd(Id, continuation: null);

        Assert.True(batches.TryFinish(Id, out var continuation));
        Assert.Null(continuation);
    }

    [Fact]
    public void Unknown_batches_and_jobs_without_one_are_ignored_and_an_id_is_taken_once()
    {
        var batches = new InMemoryBatches();
        var other = new BatchId(Guid.NewGuid());
        batches.TryAdd(Id, continuation: null);

        batches.Move(other, from: null, to: JobState.Pending);
        batches.Move(null, from: null, to: JobState.Pending);

        Assert.Null(batches.GetStatus(other));
        Assert.False(batches.TryFinish(other, out _));
        Assert.Equal(0, batches.GetStatus(Id)!.Counts.Total);
        Assert.False(batches.TryAdd(Id, new NewJob { Name = "again" }));
    }
}
