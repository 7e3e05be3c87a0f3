using TaskRunner.Storage;

namespace TaskRunner.Tests.Storage;

/// <summary>The in-memory store's due queue on its own: claim order, names left in place, lazy removal, delayed jobs.</summary>
public sealed class InMemoryDueQueueTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Due_jobs_are_taken_by_priority_descending_then_run_at_then_id()
    {
        var queue = new InMemoryDueQueue();
        foreach (var job in new[] { Job(1, runAt: T0.AddSeconds(2)), Job(2, priority: 5, runAt: T0.AddSeconds(9)), Job(3, runAt: T0.AddSeconds(1)), Job(4, runAt: T0.AddSeconds(1)), Job(5, priority: -1, runAt: T0) })
        {
            queue.AddDue(job);
        }

        Assert.Equal([2, 3, 4, 1, 5], Take(queue, "default", 10));
    }

    [Fact]
    public void A_take_stops_at_its_count_and_leaves_the_rest_in_order()
    {
        var queue = new InMemoryDueQueue();
        for (var id = 1; id <= 5; id++)
        {
            queue.AddDue(Job(id));
        }

        Assert.Equal([1, 2], Take(queue, "default", 2));
        Assert.Empty(Take(queue, "default", 0));
        Assert.Equal([3, 4, 5], Take(queue, "default", 10));
        Assert.Empty(Take(queue, "default", 10));
    }

    [Fact]
    public void A_take_by_names_leaves_jobs_of_other_names_queued_in_their_place()
    {
        var queue = new InMemoryDueQueue();
        queue.AddDue(Job(1, name: "old"));
        queue.AddDue(Job(2, name: "new"));
        queue.AddDue(Job(3, name: "old"));
        queue.AddDue(Job(4, name: "new"));

        Assert.Equal([2, 4], Take(queue, "default", 10, new HashSet<string> { "new" }));
        Assert.Empty(Take(queue, "default", 10, new HashSet<string>()));
        Assert.Equal([1, 3], Take(queue, "default", 10));
    }

    [Fact]
    public void Queues_are_apart()
    {
        var queue = new InMemoryDueQueue();
        queue.AddDue(Job(1, queue: "a"));
        queue.AddDue(Job(2, queue: "b"));

        Assert.Empty(Take(queue, "c", 10));
        Assert.Equal([2], Take(queue, "b", 10));
        Assert.Equal([1], Take(queue, "a", 10));
    }

    [Fact]
    public void A_removed_job_is_not_taken_and_one_queued_again_is_taken_once()
    {
        var queue = new InMemoryDueQueue();
        var removed = Job(1);
        var requeued = Job(2);
        var cancelled = Job(3);
        foreach (var job in new[] { removed, requeued, cancelled })
        {
            queue.AddDue(job);
        }

        InMemoryDueQueue.Remove(removed);
        InMemoryDueQueue.Remove(requeued);
        queue.AddDue(requeued); // its first heap entry is now stale
        cancelled.State = JobState.Cancelled; // no longer pending: its entry is stale too

        Assert.Equal([2], Take(queue, "default", 10));
        Assert.False(requeued.InDueHeap);
        Assert.Empty(Take(queue, "default", 10));
    }

    [Fact]
    public void Delayed_jobs_come_due_at_their_run_at_in_run_at_order()
    {
        var queue = new InMemoryDueQueue();
        queue.AddDelayed(Job(1, runAt: T0.AddSeconds(2)));
        queue.AddDelayed(Job(2, runAt: T0.AddSeconds(1)));
        queue.AddDelayed(Job(3, runAt: T0.AddSeconds(3)));

        Assert.Equal(T0.AddSeconds(1), queue.NextRunAt());
        Assert.False(queue.TryTakeDelayed(T0.AddSeconds(1).AddTicks(-1), out _));
        Assert.Equal([2, 1], TakeDelayed(queue, T0.AddSeconds(2)));
        Assert.Equal(T0.AddSeconds(3), queue.NextRunAt());
        Assert.Equal([3], TakeDelayed(queue, T0.AddHours(1)));
        Assert.Null(queue.NextRunAt());
    }

    [Fact]
    public void A_delayed_job_that_was_removed_or_moved_comes_due_only_at_its_new_run_at()
    {
        var queue = new InMemoryDueQueue();
        var cancelled = Job(1, runAt: T0.AddSeconds(1));
        var moved = Job(2, runAt: T0.AddSeconds(2));
        queue.AddDelayed(cancelled);
        queue.AddDelayed(moved);

        InMemoryDueQueue.Remove(cancelled);
        InMemoryDueQueue.Remove(moved);
        moved.RunAt = T0.AddSeconds(5);
        queue.AddDelayed(moved);

        Assert.Equal(T0.AddSeconds(5), queue.NextRunAt());
        Assert.Empty(TakeDelayed(queue, T0.AddSeconds(4)));
        Assert.Equal([2], TakeDelayed(queue, T0.AddSeconds(5)));
        Assert.False(moved.InDelayedHeap);
    }

    private static InMemoryJob Job(long id, int priority = 0, DateTimeOffset? runAt = null, string name = "job", string queue = "default") =>
        new(id, new NewJob { Name = name, Queue = queue, Priority = priority, RunAt = runAt ?? T0 }, T0, batchId: null) { State = JobState.Pending };

    private static long[] Take(InMemoryDueQueue queue, string name, int maxCount, IReadOnlySet<string>? names = null)
    {
        var taken = new List<InMemoryJob>();
        queue.TakeDue(name, maxCount, names, taken);
        return [.. taken.Select(job => job.Id)];
    }

    private static long[] TakeDelayed(InMemoryDueQueue queue, DateTimeOffset now)
    {
        var taken = new List<long>();
        while (queue.TryTakeDelayed(now, out var job))
        {
            taken.Add(job.Id);
        }

        return [.. taken];
    }
}
