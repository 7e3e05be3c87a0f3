using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Engine;

public sealed class GlobalLimiterTests
{
    private static GlobalLimiter Limiter(int limit, params (string Queue, int Weight)[] queues)
    {
        var limiter = new GlobalLimiter(limit);
        foreach (var (queue, weight) in queues)
        {
            limiter.Register(queue, weight, new WakeSignal(new FakeTimeProvider()));
        }

        return limiter;
    }

    [Fact]
    public void A_queue_over_its_share_cannot_take_a_returned_slot_while_another_queue_waits()
    {
        var limiter = Limiter(2, ("bulk", 1), ("urgent", 1));
        Assert.Equal(2, limiter.TryTake("bulk", 2)); // nobody else waits: bulk may borrow beyond its share
        Assert.Equal(0, limiter.TryTake("urgent", 1)); // urgent now waits

        limiter.Return("bulk", 1);

        Assert.Equal(0, limiter.TryTake("bulk", 1)); // bulk holds 1 = its share of 2
        Assert.Equal(1, limiter.TryTake("urgent", 1));
    }

    [Fact]
    public void With_nobody_waiting_a_queue_may_use_every_free_slot()
    {
        var limiter = Limiter(4, ("a", 1), ("b", 1));
        Assert.Equal(4, limiter.TryTake("a", 10));
        Assert.Equal(0, limiter.TryTake("a", 1));
    }

    [Theory]
    [InlineData(10, 3, 1, 7, 3)] // a's share is 10·3/4 = 7.5 → 7; b, no longer outcompeted, takes the remaining 3
    [InlineData(4, 1, 1, 2, 2)] // equal weights split evenly
    [InlineData(2, 100, 1, 1, 1)] // shares round down, but a tiny weight still gets one slot
    public void Shares_follow_weights_when_both_queues_want_more(int limit, int weightA, int weightB, int expectedA, int expectedB)
    {
        var limiter = Limiter(limit, ("a", weightA), ("b", weightB));
        Assert.Equal(0, limiter.TryTake("b", 0)); // b takes nothing yet
        var a = limiter.TryTake("a", limit);
        Assert.Equal(limit, a);
        Assert.Equal(0, limiter.TryTake("b", limit)); // b waits
        limiter.Return("a", limit); // a gives everything back, then both compete

        var gotA = limiter.TryTake("a", limit);
        var gotB = limiter.TryTake("b", limit);

        Assert.Equal(expectedA, gotA);
        Assert.Equal(expectedB, gotB);
    }
}
