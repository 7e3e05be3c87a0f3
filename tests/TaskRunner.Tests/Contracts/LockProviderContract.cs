using Microsoft.Extensions.Time.Testing;
using TaskRunner.Locks;

namespace TaskRunner.Tests.Contracts;

/// <summary>
/// <see cref="IDistributedLockProvider"/> as the host sees it — waiting, renewal, the lost-lock token and fencing —
/// over a backend's <see cref="ILockStore"/>, on a fake clock.
/// </summary>
public abstract class LockProviderContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(T0);

    private IDistributedLockProvider Node(string id, ILockStore? store = null) =>
        new DistributedLockProvider(store ?? Factory.LockStore, _time, new NodeIdentity(id));

    [Fact]
    public async Task Acquire_gives_a_held_lock_with_its_expiry_and_a_second_try_gets_nothing()
    {
        await using var held = await Node("a").TryAcquireAsync("report", Ttl);

        Assert.NotNull(held);
        Assert.Equal("report", held.Name);
        Assert.Equal(T0 + Ttl, held.ExpiresAt);
        Assert.False(held.LostToken.IsCancellationRequested);
        Assert.Null(await Node("b", Factory.OpenSharedLockStore()).TryAcquireAsync("report", Ttl));
    }

    [Fact]
    public async Task Fencing_tokens_strictly_increase_across_holders_and_releases()
    {
        var tokens = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            await using var held = await Node($"n{i}", i % 2 == 0 ? Factory.LockStore : Factory.OpenSharedLockStore()).TryAcquireAsync("fenced", Ttl);
            tokens.Add(held!.FencingToken);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task A_waiter_gets_the_lock_once_the_holder_releases_it()
    {
        var holder = await Node("a").TryAcquireAsync("wait", Ttl);
        var waiting = Node("b", Factory.OpenSharedLockStore()).TryAcquireAsync("wait", Ttl, wait: TimeSpan.FromSeconds(30)).AsTask();
        Assert.False(waiting.IsCompleted);

        await holder!.ReleaseAsync();
        _time.Advance(TimeSpan.FromSeconds(1)); // past the waiter's next retry (5 ms, doubling)

        await using var got = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(got);
        Assert.True(got.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task A_waiter_gives_up_when_its_wait_runs_out()
    {
        await using var holder = await Node("a").TryAcquireAsync("busy", TimeSpan.FromMinutes(5));
        var waiting = Node("b").TryAcquireAsync("busy", Ttl, wait: TimeSpan.FromSeconds(2)).AsTask();

        _time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_lost_token_fires_when_the_lock_expires_without_renewal_and_another_node_takes_over()
    {
        var held = await Node("a").TryAcquireAsync("expiring", Ttl);
        var lost = held!.LostToken;

        _time.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.False(lost.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(lost.IsCancellationRequested);

        await using var other = await Node("b", Factory.OpenSharedLockStore()).TryAcquireAsync("expiring", Ttl);
        Assert.NotNull(other);
        Assert.True(other.FencingToken > held.FencingToken);
        Assert.False(await held.RenewAsync());
    }

    [Fact]
    public async Task Renewing_moves_the_expiry_and_the_lost_token_with_it()
    {
        await using var held = await Node("a").TryAcquireAsync("renewed", Ttl);
        var lost = held!.LostToken;

        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.True(await held.RenewAsync());
        Assert.Equal(_time.GetUtcNow() + Ttl, held.ExpiresAt);

        _time.Advance(TimeSpan.FromSeconds(8)); // past the first expiry, before the renewed one
        Assert.False(lost.IsCancellationRequested);
        Assert.Null(await Node("b").TryAcquireAsync("renewed", Ttl));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Disposing_releases_the_lock_and_fires_the_lost_token()
    {
        var held = await Node("a").TryAcquireAsync("disposed", Ttl);
        var lost = held!.LostToken;

        await held.DisposeAsync();

        Assert.True(lost.IsCancellationRequested);
        await using var next = await Node("b").TryAcquireAsync("disposed", Ttl);
        Assert.NotNull(next);
    }

    [Theory]
    [InlineData("")] // empty
    [InlineData("   ")] // blank
    public async Task An_invalid_lock_name_is_rejected_naming_it(string name)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Node("a").TryAcquireAsync(name, Ttl).AsTask());
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_positive_time_to_live_is_rejected_naming_the_lock()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Node("a").TryAcquireAsync("ttl", TimeSpan.Zero).AsTask());
        Assert.Contains("'ttl'", error.Message, StringComparison.Ordinal);
    }
}
