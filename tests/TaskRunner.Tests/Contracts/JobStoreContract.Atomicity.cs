namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- one enqueue call is one atomic step (IJobStore.EnqueueAsync; event publishing relies on it) ----

    [Fact]
    public async Task Enqueue_many_is_all_or_nothing_to_a_reader_in_another_process()
    {
        const int Jobs = 300;
        var reader = Factory.OpenSharedJobStore();
        var jobs = Enumerable.Range(0, Jobs).Select(i => Job("job", idempotencyKey: "atomic-" + i)).ToArray();
        using var stop = new CancellationTokenSource();

        // The reader counts while the writer inserts; a non-atomic insert would show it a part of the call.
        var seen = new List<long>();
        var reading = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                seen.Add((await reader.CountAsync(null)).Pending);
            }
        });
        var results = await Store.EnqueueAsync(jobs, T0);
        await stop.CancelAsync();
        await reading;
        seen.Add((await reader.CountAsync(null)).Pending);

        Assert.All(results, r => Assert.True(r.Created));
        Assert.All(seen, count => Assert.True(count is 0 or Jobs, $"a reader saw {count} of the {Jobs} jobs of one enqueue call"));
        Assert.Equal(Jobs, seen[^1]);
    }

    [Fact]
    public async Task Enqueue_many_with_some_keys_taken_creates_the_others_and_returns_the_existing_ids()
    {
        var existing = await Enqueue(Job("job", idempotencyKey: "taken"));

        var results = await Store.EnqueueAsync([Job("job", idempotencyKey: "new-1"), Job("job", idempotencyKey: "taken"), Job("job", idempotencyKey: "new-2")], T0);

        Assert.Equal([true, false, true], results.Select(r => r.Created));
        Assert.Equal(existing, results[1].Id);
        Assert.Equal(3, (await Store.CountAsync(null)).Pending);
    }
}
