namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- claim by job names (issue 10 item 4): a worker takes only what it can run ----

    [Fact]
    public async Task Claim_by_names_takes_only_those_names_in_claim_order_and_leaves_the_rest_pending_untouched()
    {
        var newType = await Enqueue(Job("new-type", priority: 9)); // first in claim order, but not ours
        var a = await Enqueue(Job("a"));
        var b = await Enqueue(Job("b"));
        var c = await Enqueue(Job("c"));

        var claimed = await Store.ClaimAsync(new ClaimRequest
        {
            Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "old", Now = T0, LeaseDuration = Lease,
            JobNames = new HashSet<string>(["a", "c"], StringComparer.Ordinal),
        });

        Assert.Equal([a, c], claimed.Select(j => j.Id));
        var left = (await Store.GetAsync(newType))!;
        Assert.Equal(JobState.Pending, left.State);
        Assert.Equal(0, left.Attempts);
        Assert.Null(left.Owner);
        Assert.Equal(JobState.Pending, (await Store.GetAsync(b))!.State);

        // A worker that has the new type takes it (and any name, with no list).
        var rest = await Claim(10, owner: "new");
        Assert.Equal([newType, b], rest.Select(j => j.Id));
    }

    [Fact]
    public async Task Claim_by_names_fills_max_count_past_jobs_of_other_names()
    {
        for (var i = 0; i < 5; i++)
        {
            await Enqueue(Job("other"));
        }

        var mine = new[] { await Enqueue(Job("mine")), await Enqueue(Job("mine")) };

        // Names given as a plain list (not a set) work the same.
        var claimed = await Store.ClaimAsync(new ClaimRequest
        {
            Queue = JobOptions.DefaultQueue, MaxCount = 2, Owner = "w", Now = T0, LeaseDuration = Lease, JobNames = ["mine"],
        });

        Assert.Equal(mine, claimed.Select(j => j.Id));
    }

    [Fact]
    public async Task Claim_with_an_empty_name_list_claims_nothing_and_null_claims_any_name()
    {
        await Enqueue(Job("x"));

        Assert.Empty(await Store.ClaimAsync(new ClaimRequest
        {
            Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease, JobNames = [],
        }));
        Assert.Single(await Store.ClaimAsync(new ClaimRequest
        {
            Queue = JobOptions.DefaultQueue, MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = Lease, JobNames = null,
        }));
    }
}
