namespace TaskRunner.Tests.Polling;

public sealed class FixedIntervalPollingTests
{
    [Theory]
    // Whatever the polls find (empty, work, full batch, error, skipped), the interval and batch never change.
    [InlineData("EWFXSE", 250, null, 32, 32)]
    // An explicit batch size below the queue's is used as is.
    [InlineData("EFW", 1000, 5, 32, 5)]
    // An explicit batch size above the queue's is capped at the queue's.
    [InlineData("EFW", 1000, 100, 32, 32)]
    public void Decisions_never_change(string outcomes, int intervalMs, int? batchSize, int queueBatchSize, int expectedBatch)
    {
        var strategy = new FixedIntervalPolling(
            new FixedIntervalPollingOptions { Interval = TimeSpan.FromMilliseconds(intervalMs), BatchSize = batchSize },
            queueBatchSize);

        // The first poll happens at once, so jobs waiting from before start are not delayed by a whole interval.
        Assert.Equal(new PollDecision(TimeSpan.Zero, expectedBatch), strategy.Initial);
        foreach (var code in outcomes)
        {
            Assert.Equal(
                new PollDecision(TimeSpan.FromMilliseconds(intervalMs), expectedBatch),
                strategy.Decide(PollingTestOutcomes.From(code, expectedBatch)));
        }
    }
}
