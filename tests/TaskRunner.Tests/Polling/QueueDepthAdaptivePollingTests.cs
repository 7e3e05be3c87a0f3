namespace TaskRunner.Tests.Polling;

public sealed class QueueDepthAdaptivePollingTests
{
    private static PollOutcome Outcome(long depth, int found = 0, int batch = 32) =>
        new() { Now = PollingTestOutcomes.Epoch, JobsFound = found, BatchSize = batch, QueueDepth = depth };

    [Theory]
    // The documented curve with the defaults (50 ms – 5 s, batch 1 – queue's 32, deep at 1000).
    // Empty queue: longest wait, smallest claim.
    [InlineData(0, 5000.0, 1)]
    // One waiting job already shortens the wait noticeably (logarithmic fill ≈ 0.10).
    [InlineData(1, 3150.0, 5)]
    [InlineData(10, 1011.1, 12)]
    [InlineData(100, 230.6, 22)]
    // Exactly at DeepBacklog: shortest wait, biggest claim.
    [InlineData(1000, 50.0, 32)]
    // Beyond DeepBacklog the curve stays flat.
    [InlineData(1_000_000, 50.0, 32)]
    public void Curve_points_with_known_depth(long depth, double expectedMs, int expectedBatch)
    {
        var strategy = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), queueBatchSize: 32);

        var decision = strategy.Decide(Outcome(depth));

        Assert.Equal(expectedMs, decision.Delay.TotalMilliseconds, 0.1);
        Assert.Equal(expectedBatch, decision.BatchSize);
    }

    [Theory]
    // Unknown depth (−1), empty poll: treated as an empty queue.
    [InlineData(0, 5000.0, 1)]
    // Unknown depth, half a batch: fill 0.5, the geometric middle of 5 s and 50 ms.
    [InlineData(16, 500.0, 17)]
    // Unknown depth, full batch: treated as a deep backlog.
    [InlineData(32, 50.0, 32)]
    public void Unknown_depth_uses_how_full_the_last_claim_was(int found, double expectedMs, int expectedBatch)
    {
        var strategy = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), queueBatchSize: 32);

        var decision = strategy.Decide(Outcome(-1, found));

        Assert.Equal(expectedMs, decision.Delay.TotalMilliseconds, 0.1);
        Assert.Equal(expectedBatch, decision.BatchSize);
    }

    [Theory]
    // A failed poll counts as an empty queue whatever depth it carries.
    [InlineData('X')]
    // A skipped poll (no change in the store) too.
    [InlineData('S')]
    public void Failed_or_skipped_polls_wait_longest(char code)
    {
        var strategy = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), queueBatchSize: 32);

        var decision = strategy.Decide(PollingTestOutcomes.From(code, batchSize: 32, queueDepth: 5000));

        Assert.Equal(new PollDecision(TimeSpan.FromSeconds(5), 1), decision);
    }

    [Fact]
    public void Deeper_backlog_never_means_a_longer_wait_or_a_smaller_claim()
    {
        var strategy = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), queueBatchSize: 32);
        var previous = strategy.Decide(Outcome(0));
        for (long depth = 1; depth <= 2000; depth++)
        {
            var current = strategy.Decide(Outcome(depth));
            Assert.True(current.Delay <= previous.Delay, $"wait grew at depth {depth}");
            Assert.True(current.BatchSize >= previous.BatchSize, $"claim shrank at depth {depth}");
            previous = current;
        }
    }

    [Theory]
    // MaxBatchSize above the queue's batch size is capped at it.
    [InlineData(1, 500, 32, 32)]
    // MaxBatchSize below it is used as the top of the curve.
    [InlineData(1, 8, 32, 8)]
    // MinBatchSize above the (capped) maximum collapses to the maximum: the engine never asks beyond the queue's.
    [InlineData(50, 100, 32, 32)]
    public void Claim_sizes_respect_the_queue_batch_size(int minBatch, int maxBatch, int queueBatch, int expectedDeep)
    {
        var strategy = new QueueDepthAdaptivePolling(
            new AdaptivePollingOptions { MinBatchSize = minBatch, MaxBatchSize = maxBatch },
            queueBatch);

        Assert.Equal(expectedDeep, strategy.Initial.BatchSize);
        Assert.Equal(expectedDeep, strategy.Decide(Outcome(10_000)).BatchSize);
        Assert.InRange(strategy.Decide(Outcome(0)).BatchSize, 1, expectedDeep);
    }

    [Fact]
    public void Initial_polls_at_once_with_the_biggest_claim()
    {
        var strategy = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), queueBatchSize: 20);

        Assert.Equal(new PollDecision(TimeSpan.Zero, 20), strategy.Initial);
    }
}
