using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Polling;

public sealed class PollingQueueOptionsExtensionsTests
{
    [Fact]
    public void Each_built_in_extension_sets_a_factory_creating_its_strategy()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var queue = new QueueOptions("q");

        Assert.IsType<FixedIntervalPolling>(queue.UseFixedInterval().PollingStrategyFactory!(services));
        Assert.IsType<ExponentialIdleBackoff>(queue.UseIdleBackoff().PollingStrategyFactory!(services));
        Assert.IsType<QueueDepthAdaptivePolling>(queue.UseAdaptivePolling().PollingStrategyFactory!(services));
        Assert.IsType<ScheduledWindowPolling>(
            queue.UseScheduledWindows(o => o.AddWindow("0 9 * * *", TimeSpan.FromHours(1))).PollingStrategyFactory!(services));
    }

    [Fact]
    public void Factories_create_a_new_instance_per_call_because_strategies_keep_per_queue_state()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var queue = new QueueOptions("q").UseIdleBackoff();

        Assert.NotSame(queue.PollingStrategyFactory!(services), queue.PollingStrategyFactory!(services));
    }

    [Fact]
    public void The_queue_batch_size_is_read_when_the_strategy_is_created()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var queue = new QueueOptions("q").UseIdleBackoff();

        // Set after the strategy was chosen, as configuration code may do.
        queue.BatchSize = 9;

        Assert.Equal(9, queue.PollingStrategyFactory!(services).Initial.BatchSize);
    }

    [Fact]
    public void Custom_factory_is_used_as_given()
    {
        var custom = new ConstantStrategy();
        var queue = new QueueOptions("q").UsePollingStrategy(_ => custom);

        Assert.Same(custom, PollingStrategies.Create(EmptyServices.Instance, queue));
    }

    [Fact]
    public void Custom_type_is_activated_with_its_dependencies_from_the_container()
    {
        var time = new FakeTimeProvider();
        using var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var queue = new QueueOptions("q").UsePollingStrategy<TimeAwareStrategy>();

        var first = Assert.IsType<TimeAwareStrategy>(queue.PollingStrategyFactory!(services));
        var second = Assert.IsType<TimeAwareStrategy>(queue.PollingStrategyFactory!(services));

        Assert.Same(time, first.Time);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void Without_a_factory_the_engine_gets_the_idle_backoff_default()
    {
        var strategy = PollingStrategies.Create(EmptyServices.Instance, new QueueOptions("q") { BatchSize = 12 });

        Assert.IsType<ExponentialIdleBackoff>(strategy);
        Assert.Equal(new PollDecision(TimeSpan.Zero, 12), strategy.Initial);
    }

    [Fact]
    public void The_last_strategy_chosen_wins()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var queue = new QueueOptions("q").UseFixedInterval().UseAdaptivePolling();

        Assert.IsType<QueueDepthAdaptivePolling>(queue.PollingStrategyFactory!(services));
    }

    private sealed class ConstantStrategy : IPollingStrategy
    {
        public PollDecision Initial => new(TimeSpan.Zero, 1);

        public PollDecision Decide(in PollOutcome outcome) => new(TimeSpan.FromSeconds(1), 1);
    }

    private sealed class TimeAwareStrategy(TimeProvider time) : IPollingStrategy
    {
        public TimeProvider Time { get; } = time;

        public PollDecision Initial => new(TimeSpan.Zero, 1);

        public PollDecision Decide(in PollOutcome outcome) => new(TimeSpan.FromSeconds(1), 1);
    }
}
