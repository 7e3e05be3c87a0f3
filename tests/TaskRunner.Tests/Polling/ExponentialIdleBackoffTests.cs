namespace TaskRunner.Tests.Polling;

public sealed class ExponentialIdleBackoffTests
{
    private static ExponentialIdleBackoff Create(int minMs, int maxMs, double factor, double jitter = 0, double random = 0.5, int batchSize = 10) =>
        new(
            new IdleBackoffPollingOptions
            {
                MinDelay = TimeSpan.FromMilliseconds(minMs),
                MaxDelay = TimeSpan.FromMilliseconds(maxMs),
                Factor = factor,
                Jitter = jitter,
            },
            batchSize,
            () => random);

    [Theory]
    // Idle growth: the first empty poll waits the minimum, each further one doubles it.
    [InlineData(100, 1600, 2.0, "EEEEE", "100,200,400,800,1600")]
    // Cap: the wait stops growing at MaxDelay and stays there.
    [InlineData(100, 1600, 2.0, "EEEEEEEE", "100,200,400,800,1600,1600,1600,1600")]
    // Cap that is not a power of the factor: the last step is cut to the cap, never exceeds it.
    [InlineData(100, 1000, 2.0, "EEEEEE", "100,200,400,800,1000,1000")]
    // Reset on work: a poll that finds (some) work waits the minimum, and the next idle run starts over.
    [InlineData(100, 1600, 2.0, "EEEEWEE", "100,200,400,800,100,100,200")]
    // Full batch: more is probably waiting, so poll again at once; afterwards idle backoff starts from the minimum.
    [InlineData(100, 1600, 2.0, "EEEFFEE", "100,200,400,0,0,100,200")]
    // Errors back off like empty polls, and keep the growth of the idle run they interrupt.
    [InlineData(100, 1600, 2.0, "XXXX", "100,200,400,800")]
    [InlineData(100, 1600, 2.0, "EEXXE", "100,200,400,800,1600")]
    // The first poll that finds work after errors resets the backoff.
    [InlineData(100, 1600, 2.0, "XXXW", "100,200,400,100")]
    // Skipped polls (store saw no change) count as idle.
    [InlineData(100, 1600, 2.0, "SSSW", "100,200,400,100")]
    // Factor 1: constant minimum wait while idle.
    [InlineData(250, 1000, 1.0, "EEEE", "250,250,250,250")]
    // Fractional factor.
    [InlineData(100, 1000, 1.5, "EEEEEEE", "100,150,225,337,506,759,1000")]
    // MinDelay == MaxDelay: no growth at all.
    [InlineData(500, 500, 2.0, "EEWFE", "500,500,500,0,500")]
    public void Decisions_follow_the_backoff(int minMs, int maxMs, double factor, string outcomes, string expectedMs)
    {
        var strategy = Create(minMs, maxMs, factor);
        var expected = PollingTestOutcomes.Millis(expectedMs);

        Assert.Equal(new PollDecision(TimeSpan.Zero, 10), strategy.Initial);
        for (var i = 0; i < outcomes.Length; i++)
        {
            var decision = strategy.Decide(PollingTestOutcomes.From(outcomes[i], batchSize: 10));
            Assert.Equal(expected[i], (int)decision.Delay.TotalMilliseconds);
            Assert.Equal(10, decision.BatchSize);
        }
    }

    [Theory]
    // r = 0 gives the shortest wait: base × (1 − jitter), but never below MinDelay (the first 100 would be 50).
    [InlineData(0.0, "EEEEEW", "100,100,200,400,800,100")]
    // r = 0.5 is the unjittered wait.
    [InlineData(0.5, "EEEEEW", "100,200,400,800,1600,100")]
    // r = 1 gives the longest wait: base × (1 + jitter), but never above MaxDelay (1600 would be 2400).
    [InlineData(1.0, "EEEEEW", "150,300,600,1200,1600,150")]
    // A full batch is never jittered: zero stays zero.
    [InlineData(1.0, "F", "0")]
    [InlineData(0.0, "F", "0")]
    public void Jitter_is_bounded_by_the_injected_random(double random, string outcomes, string expectedMs)
    {
        var strategy = Create(100, 1600, 2.0, jitter: 0.5, random: random);
        var expected = PollingTestOutcomes.Millis(expectedMs);

        for (var i = 0; i < outcomes.Length; i++)
        {
            Assert.Equal(expected[i], (int)strategy.Decide(PollingTestOutcomes.From(outcomes[i])).Delay.TotalMilliseconds);
        }
    }

    [Fact]
    public void Jitter_with_real_randomness_stays_within_documented_bounds()
    {
        var random = new Random(12345);
        var strategy = new ExponentialIdleBackoff(
            new IdleBackoffPollingOptions { MinDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(30), Factor = 2, Jitter = 0.3 },
            batchSize: 10,
            random.NextDouble);
        var baseDelay = 100.0;
        var distinct = new HashSet<TimeSpan>();
        for (var i = 0; i < 1000; i++)
        {
            var delay = strategy.Decide(PollingTestOutcomes.From('E')).Delay;
            distinct.Add(delay);

            // [max(Min, base × 0.7), min(Max, base × 1.3)], with a tick of slack for truncation.
            Assert.InRange(delay.TotalMilliseconds, Math.Max(100, baseDelay * 0.7) - 0.001, Math.Min(30_000, baseDelay * 1.3));
            baseDelay = Math.Min(30_000, baseDelay * 2);
        }

        // The draws really vary (nodes do not poll in step).
        Assert.True(distinct.Count > 100);
    }

    [Theory]
    // Worst case: every draw gives the shortest wait (30 s × 0.9 = 27 s at the cap); documented bound is 140.
    [InlineData(0.0, 140)]
    // No jitter effect (r = 0.5): 8 ramp-up polls (51 s in total), then one every 30 s.
    [InlineData(0.5, 127)]
    // Longest draws are cut at the 30 s cap, so the same as no jitter.
    [InlineData(1.0, 127)]
    public void An_idle_queue_polls_a_bounded_number_of_times_per_hour_with_the_defaults(double random, int expectedPolls)
    {
        var options = new IdleBackoffPollingOptions();
        var strategy = new ExponentialIdleBackoff(options, batchSize: 32, () => random);

        // Simulated hour: sum the decided waits; the poll at start counts.
        var elapsed = strategy.Initial.Delay;
        var polls = 0;
        while (elapsed <= TimeSpan.FromHours(1))
        {
            polls++;
            elapsed += strategy.Decide(PollingTestOutcomes.From('E', batchSize: 32)).Delay;
        }

        Assert.Equal(expectedPolls, polls);
        Assert.True(polls <= 140, "the documented bound is 140 idle polls in the first hour");
    }

    [Fact]
    public void Default_strategy_is_idle_backoff_with_the_queue_batch_size()
    {
        var strategy = PollingStrategies.CreateDefault(EmptyServices.Instance, new QueueOptions("q") { BatchSize = 7 });

        var backoff = Assert.IsType<ExponentialIdleBackoff>(strategy);
        Assert.Equal(new PollDecision(TimeSpan.Zero, 7), backoff.Initial);
        var first = backoff.Decide(PollingTestOutcomes.From('E', batchSize: 7));
        Assert.Equal(7, first.BatchSize);

        // Default MinDelay 200 ms, jitter ±10 %, never below the minimum.
        Assert.InRange(first.Delay, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(220));
    }
}

internal sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
