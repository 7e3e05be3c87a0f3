using BenchmarkDotNet.Attributes;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>One polling decision (made after every poll) of the default and the adaptive strategy.</summary>
[MemoryDiagnoser]
public class PollingBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly IPollingStrategy _idleBackoff = new ExponentialIdleBackoff(new IdleBackoffPollingOptions(), 32);
    private readonly IPollingStrategy _adaptive = new QueueDepthAdaptivePolling(new AdaptivePollingOptions(), 32);
    private readonly PollOutcome _empty = new() { Now = Now, JobsFound = 0, BatchSize = 32, QueueDepth = 0 };
    private readonly PollOutcome _partial = new() { Now = Now, JobsFound = 7, BatchSize = 32, QueueDepth = 1500 };

    [Benchmark]
    public PollDecision IdleBackoffEmptyPoll() => _idleBackoff.Decide(_empty);

    [Benchmark]
    public PollDecision IdleBackoffPartialPoll() => _idleBackoff.Decide(_partial);

    [Benchmark]
    public PollDecision AdaptiveEmptyPoll() => _adaptive.Decide(_empty);

    [Benchmark]
    public PollDecision AdaptiveDeepQueue() => _adaptive.Decide(_partial);
}
