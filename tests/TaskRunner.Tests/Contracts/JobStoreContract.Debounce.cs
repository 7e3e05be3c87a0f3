namespace TaskRunner.Tests.Contracts;

/// <summary>Debounce on unique keys (<see cref="NewJob.DebounceMaxDelay"/>, graphile-worker's job_key replace mode).</summary>
public abstract partial class JobStoreContract<TFactory>
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Debounce_moves_a_waiting_jobs_run_at_on_instead_of_ignoring_the_enqueue()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(10))], T0));

        var second = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(15))], T0.AddSeconds(5)));

        Assert.False(second.Created);
        Assert.Equal(first.Id, second.Id);
        var record = (await Store.GetAsync(first.Id))!;
        Assert.Equal(T0.AddSeconds(15), record.RunAt);
        Assert.Equal(JobState.Scheduled, record.State);
        Assert.Empty(await ClaimDebounced(T0.AddSeconds(14)));
        Assert.Equal(first.Id, Assert.Single(await ClaimDebounced(T0.AddSeconds(15))).Id);
    }

    [Fact]
    public async Task Debounce_never_moves_a_job_past_its_first_enqueue_plus_the_max_delay()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(10))], T0));

        // Capped at T0 + 120 s although the change asks for T0 + 125 s.
        await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(125))], T0.AddSeconds(115));
        Assert.Equal(T0 + MaxDelay, (await Store.GetAsync(first.Id))!.RunAt);

        // At the cap the job is due at once, however often it keeps changing.
        await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(130))], T0 + MaxDelay);
        var record = (await Store.GetAsync(first.Id))!;
        Assert.Equal(T0 + MaxDelay, record.RunAt);
        Assert.Equal(first.Id, Assert.Single(await ClaimDebounced(T0 + MaxDelay)).Id);
    }

    [Fact]
    public async Task Debounce_of_a_pending_job_makes_it_wait_again()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0)], T0));
        Assert.Equal(JobState.Pending, (await Store.GetAsync(first.Id))!.State);

        await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(10))], T0.AddSeconds(1));

        Assert.Equal(JobState.Scheduled, (await Store.GetAsync(first.Id))!.State);
        Assert.Empty(await ClaimDebounced(T0.AddSeconds(9)));
        Assert.Single(await ClaimDebounced(T0.AddSeconds(10)));
    }

    [Fact]
    public async Task Debounce_while_the_keyed_job_runs_queues_a_new_job_after_it()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0)], T0));
        var running = Assert.Single(await ClaimDebounced(T0));

        var second = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(1))], T0.AddSeconds(1)));

        Assert.True(second.Created);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Null((await Store.GetAsync(first.Id))!.UniqueKey); // the running job gave up its key
        Assert.Equal("k", (await Store.GetAsync(second.Id))!.UniqueKey);

        // A third change debounces the queued one, not the running one.
        var third = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(3))], T0.AddSeconds(2)));
        Assert.Equal(second.Id, third.Id);
        Assert.False(third.Created);

        // Same concurrency key: the new job waits until the running one is done.
        Assert.Empty(await ClaimDebounced(T0.AddSeconds(3)));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(running.Id, running.LeaseToken)], Now = T0.AddSeconds(3) }));
        Assert.Equal(second.Id, Assert.Single(await ClaimDebounced(T0.AddSeconds(3))).Id);
    }

    [Fact]
    public async Task Debounce_leaves_a_retry_backoff_alone()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0, maxAttempts: 3)], T0));
        var claimed = Assert.Single(await ClaimDebounced(T0));
        await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(first.Id, claimed.LeaseToken, new JobError("E", "m"), T0.AddSeconds(60))], Now = T0 });

        var again = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(11))], T0.AddSeconds(1)));

        Assert.Equal(first.Id, again.Id);
        Assert.False(again.Created);
        var record = (await Store.GetAsync(first.Id))!;
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal(T0.AddSeconds(60), record.RunAt);
    }

    [Fact]
    public async Task A_unique_key_without_debounce_still_returns_the_waiting_or_running_job_unchanged()
    {
        var first = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(10))], T0));

        var plain = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(50), debounce: false)], T0));
        Assert.Equal(first.Id, plain.Id);
        Assert.Equal(T0.AddSeconds(10), (await Store.GetAsync(first.Id))!.RunAt);

        Assert.Single(await ClaimDebounced(T0.AddSeconds(10)));
        var whileRunning = Assert.Single(await Store.EnqueueAsync([Debounced("k", T0.AddSeconds(20), debounce: false)], T0.AddSeconds(11)));
        Assert.Equal(first.Id, whileRunning.Id);
        Assert.False(whileRunning.Created);
    }

    private static NewJob Debounced(string key, DateTimeOffset runAt, int maxAttempts = 1, bool debounce = true) => new()
    {
        MaxAttempts = maxAttempts,
        Name = "extract",
        Queue = "debounce",
        RunAt = runAt,
        UniqueKey = key,
        ConcurrencyKey = key,
        DebounceMaxDelay = debounce ? MaxDelay : null,
    };

    private ValueTask<IReadOnlyList<ClaimedJob>> ClaimDebounced(DateTimeOffset now) =>
        Store.ClaimAsync(new ClaimRequest { Queue = "debounce", MaxCount = 10, Owner = "w", Now = now, LeaseDuration = Lease });
}
