namespace TaskRunner;

/// <summary>The engine's way to the polling strategy of a queue.</summary>
internal static class PollingStrategies
{
    /// <summary>Creates the queue's strategy: its <see cref="QueueOptions.PollingStrategyFactory"/>, or the default
    /// (exponential backoff while idle, default <see cref="IdleBackoffPollingOptions"/>) when that is unset.</summary>
    public static IPollingStrategy Create(IServiceProvider services, QueueOptions queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.PollingStrategyFactory?.Invoke(services) ?? CreateDefault(services, queue);
    }

    /// <summary>Creates the default strategy for a queue: exponential backoff while idle with default settings.</summary>
    public static IPollingStrategy CreateDefault(IServiceProvider services, QueueOptions queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _ = services;
        return new ExponentialIdleBackoff(new IdleBackoffPollingOptions(), queue.BatchSize);
    }

    /// <summary>The registered <see cref="TimeProvider"/>, or <see cref="TimeProvider.System"/>.</summary>
    public static TimeProvider TimeProviderFrom(IServiceProvider services) =>
        services.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
}
