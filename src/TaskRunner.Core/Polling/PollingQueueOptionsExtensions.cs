using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>Attaches a polling strategy to a queue by setting its <see cref="QueueOptions.PollingStrategyFactory"/>.
/// Each call replaces the previous strategy; options are validated at once, so mistakes surface at configuration.</summary>
public static class PollingQueueOptionsExtensions
{
    /// <summary>Polls the queue at a fixed interval with a fixed batch size.</summary>
    /// <param name="queue">The queue to configure.</param>
    /// <param name="configure">Adjusts the defaults; <see langword="null"/> keeps them.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static QueueOptions UseFixedInterval(this QueueOptions queue, Action<FixedIntervalPollingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var options = new FixedIntervalPollingOptions();
        configure?.Invoke(options);
        options.Validate();
        queue.PollingStrategyFactory = _ => new FixedIntervalPolling(options, queue.BatchSize);
        return queue;
    }

    /// <summary>Polls the queue with exponential backoff while it is idle (the default strategy).</summary>
    /// <param name="queue">The queue to configure.</param>
    /// <param name="configure">Adjusts the defaults; <see langword="null"/> keeps them.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static QueueOptions UseIdleBackoff(this QueueOptions queue, Action<IdleBackoffPollingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var options = new IdleBackoffPollingOptions();
        configure?.Invoke(options);
        options.Validate();
        queue.PollingStrategyFactory = _ => new ExponentialIdleBackoff(options, queue.BatchSize);
        return queue;
    }

    /// <summary>Polls the queue with a wait and claim size that follow its backlog.</summary>
    /// <param name="queue">The queue to configure.</param>
    /// <param name="configure">Adjusts the defaults; <see langword="null"/> keeps them.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static QueueOptions UseAdaptivePolling(this QueueOptions queue, Action<AdaptivePollingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var options = new AdaptivePollingOptions();
        configure?.Invoke(options);
        options.Validate();
        queue.PollingStrategyFactory = _ => new QueueDepthAdaptivePolling(options, queue.BatchSize);
        return queue;
    }

    /// <summary>Polls the queue only inside cron-defined windows and sleeps until the next window outside them.</summary>
    /// <param name="queue">The queue to configure.</param>
    /// <param name="configure">Adds the windows (at least one) and adjusts the defaults.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No window, an invalid cron expression or an unknown time zone; the message
    /// quotes the expression or id.</exception>
    public static QueueOptions UseScheduledWindows(this QueueOptions queue, Action<ScheduledWindowPollingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ScheduledWindowPollingOptions();
        configure(options);
        var (windows, zone) = options.Compile();
        var innerFactory = options.InnerStrategyFactory;
        queue.PollingStrategyFactory = services => new ScheduledWindowPolling(
            windows,
            zone,
            innerFactory?.Invoke(services) ?? new FixedIntervalPolling(new FixedIntervalPollingOptions(), queue.BatchSize),
            PollingStrategies.TimeProviderFrom(services));
        return queue;
    }

    /// <summary>Polls the queue with a custom strategy.</summary>
    /// <param name="queue">The queue to configure.</param>
    /// <param name="factory">Creates one strategy instance for the queue.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> or <paramref name="factory"/> is <see langword="null"/>.</exception>
    public static QueueOptions UsePollingStrategy(this QueueOptions queue, Func<IServiceProvider, IPollingStrategy> factory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(factory);
        queue.PollingStrategyFactory = factory;
        return queue;
    }

    /// <summary>Polls the queue with a custom strategy type, created with
    /// <see cref="ActivatorUtilities.CreateInstance{T}(IServiceProvider, object[])"/> (constructor arguments come from
    /// the container). A new instance is created for the queue even if <typeparamref name="T"/> is registered, because
    /// strategies keep per-queue state.</summary>
    /// <typeparam name="T">The strategy type.</typeparam>
    /// <param name="queue">The queue to configure.</param>
    /// <returns>The queue, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is <see langword="null"/>.</exception>
    public static QueueOptions UsePollingStrategy<T>(this QueueOptions queue)
        where T : class, IPollingStrategy
    {
        ArgumentNullException.ThrowIfNull(queue);
        queue.PollingStrategyFactory = static services => ActivatorUtilities.CreateInstance<T>(services);
        return queue;
    }
}
