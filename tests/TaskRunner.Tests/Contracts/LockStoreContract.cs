namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="ILockStore"/> must have (SPEC §5).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class LockStoreContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private ILockStore Store => Factory.LockStore;

    [Fact]
    public async Task Acquire_takes_a_free_lock()
    {
        var lease = await Store.TryAcquireAsync("sweeper", "node-a", T0, T0 + Ttl);

        Assert.NotNull(lease);
        Assert.Equal("sweeper", lease.Value.Name);
        Assert.Equal("node-a", lease.Value.Owner);
        Assert.Equal(T0 + Ttl, lease.Value.ExpiresAt);
        Assert.True(lease.Value.FencingToken > 0);
    }

    [Fact]
    public async Task Acquire_fails_while_the_holder_lease_is_valid_even_for_the_same_owner()
    {
        Assert.NotNull(await Store.TryAcquireAsync("l", "node-a", T0, T0 + Ttl));

        Assert.Null(await Store.TryAcquireAsync("l", "node-b", T0.AddSeconds(5), T0.AddSeconds(5) + Ttl));
        Assert.Null(await Store.TryAcquireAsync("l", "node-a", T0.AddSeconds(5), T0.AddSeconds(5) + Ttl));
        Assert.Null(await Store.TryAcquireAsync("l", "node-b", T0 + Ttl - TimeSpan.FromTicks(1), T0 + Ttl + Ttl));
    }

    [Fact]
    public async Task Locks_with_different_names_are_independent()
    {
        Assert.NotNull(await Store.TryAcquireAsync("a", "node-a", T0, T0 + Ttl));
        Assert.NotNull(await Store.TryAcquireAsync("b", "node-b", T0, T0 + Ttl));
    }

    [Fact]
    public async Task Acquire_takes_over_an_expired_lock_with_a_greater_fencing_token()
    {
        var first = (await Store.TryAcquireAsync("l", "node-a", T0, T0 + Ttl))!.Value;

        // Expired exactly at its expiry instant: "at or before now".
        var second = await Store.TryAcquireAsync("l", "node-b", T0 + Ttl, T0 + Ttl + Ttl);

        Assert.NotNull(second);
        Assert.Equal("node-b", second.Value.Owner);
        Assert.True(second.Value.FencingToken > first.FencingToken);
        Assert.False(await Store.TryRenewAsync("l", first.FencingToken, T0 + Ttl, T0 + Ttl + Ttl + Ttl));
        Assert.False(await Store.ReleaseAsync("l", first.FencingToken));
        Assert.Null(await Store.TryAcquireAsync("l", "node-c", T0 + Ttl + TimeSpan.FromSeconds(1), T0 + Ttl + Ttl));
    }

    [Fact]
    public async Task Fencing_tokens_keep_increasing_after_release()
    {
        var tokens = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            var lease = (await Store.TryAcquireAsync("l", $"node-{i}", T0.AddSeconds(i), T0.AddSeconds(i) + Ttl))!.Value;
            tokens.Add(lease.FencingToken);
            Assert.True(await Store.ReleaseAsync("l", lease.FencingToken));
        }

        for (var i = 1; i < tokens.Count; i++)
        {
            Assert.True(tokens[i] > tokens[i - 1], $"token {tokens[i]} after {tokens[i - 1]}");
        }
    }

    [Fact]
    public async Task Renew_extends_only_with_the_current_token_and_before_expiry()
    {
        var lease = (await Store.TryAcquireAsync("l", "node-a", T0, T0 + Ttl))!.Value;

        Assert.False(await Store.TryRenewAsync("l", lease.FencingToken + 1, T0.AddSeconds(5), T0.AddSeconds(5) + Ttl));
        Assert.True(await Store.TryRenewAsync("l", lease.FencingToken, T0.AddSeconds(5), T0.AddSeconds(5) + Ttl));

        // The renewed lease holds past the original expiry.
        Assert.Null(await Store.TryAcquireAsync("l", "node-b", T0 + Ttl, T0 + Ttl + Ttl));

        // Past the renewed expiry the holder can no longer renew.
        Assert.False(await Store.TryRenewAsync("l", lease.FencingToken, T0.AddSeconds(5) + Ttl, T0.AddMinutes(5)));
        Assert.NotNull(await Store.TryAcquireAsync("l", "node-b", T0.AddSeconds(5) + Ttl, T0.AddMinutes(1)));
    }

    [Fact]
    public async Task Renew_of_an_unknown_lock_fails()
    {
        Assert.False(await Store.TryRenewAsync("nothing", 1, T0, T0 + Ttl));
        Assert.False(await Store.ReleaseAsync("nothing", 1));
    }

    [Fact]
    public async Task Release_frees_the_lock_only_with_the_current_token()
    {
        var lease = (await Store.TryAcquireAsync("l", "node-a", T0, T0 + Ttl))!.Value;

        Assert.False(await Store.ReleaseAsync("l", lease.FencingToken - 1));
        Assert.Null(await Store.TryAcquireAsync("l", "node-b", T0.AddSeconds(1), T0 + Ttl));

        Assert.True(await Store.ReleaseAsync("l", lease.FencingToken));
        Assert.False(await Store.ReleaseAsync("l", lease.FencingToken));
        Assert.False(await Store.TryRenewAsync("l", lease.FencingToken, T0.AddSeconds(1), T0 + Ttl));
        var next = await Store.TryAcquireAsync("l", "node-b", T0.AddSeconds(1), T0.AddSeconds(1) + Ttl);
        Assert.NotNull(next);
        Assert.True(next.Value.FencingToken > lease.FencingToken);
    }

    [Fact]
    public async Task Concurrent_acquirers_from_two_stores_get_exactly_one_lease()
    {
        var stores = new[] { Factory.LockStore, Factory.OpenSharedLockStore() };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await stores[i % 2].TryAcquireAsync("contended", $"node-{i}", T0, T0 + Ttl);
        })).ToArray();

        start.SetResult();
        var leases = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(leases, l => l is not null);
    }

    [Fact]
    public async Task List_returns_only_held_unexpired_locks_in_name_order_with_owner_token_and_expiry()
    {
        Assert.Empty(await Store.ListAsync(T0));
        var b = (await Store.TryAcquireAsync("b-lock", "node-b", T0, T0 + Ttl))!.Value;
        var a = (await Store.TryAcquireAsync("a-lock", "node-a", T0, T0 + TimeSpan.FromSeconds(2)))!.Value;
        var released = (await Store.TryAcquireAsync("c-released", "node-c", T0, T0 + Ttl))!.Value;
        Assert.True(await Store.ReleaseAsync("c-released", released.FencingToken));
        Assert.True(await Store.TryRenewAsync("b-lock", b.FencingToken, T0, T0 + Ttl + Ttl));

        var held = await Store.ListAsync(T0.AddSeconds(1));

        Assert.Equal([a, b with { ExpiresAt = T0 + Ttl + Ttl }], held);

        // Expired at its expiry instant ("at or before now"), as acquire decides.
        Assert.Equal(["b-lock"], (await Store.ListAsync(T0.AddSeconds(2))).Select(l => l.Name));

        // A take-over shows the new holder and its greater token.
        var taken = (await Store.TryAcquireAsync("a-lock", "node-z", T0.AddSeconds(3), T0.AddSeconds(3) + Ttl))!.Value;
        var after = await Store.ListAsync(T0.AddSeconds(3));
        Assert.Equal([taken, b with { ExpiresAt = T0 + Ttl + Ttl }], after);
        Assert.True(taken.FencingToken > a.FencingToken);
    }
}
