using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace TaskRunner;

/// <summary>Registers event subscriptions on an <see cref="ITaskRunnerBuilder"/>, and with them the <see cref="IEventPublisher"/>.</summary>
public static class EventBuilderExtensions
{
    /// <summary>Subscribes jobs to an event: every <see cref="IEventPublisher.PublishAsync{TEvent}"/> of
    /// <paramref name="eventName"/> enqueues the jobs <paramref name="configure"/> names, for payloads its filter accepts:
    /// <code>
    /// b.AddEventSubscription&lt;OrderPaid&gt;("order.paid", s => s
    ///     .Enqueue("send-receipt", e => new Receipt(e.OrderId))
    ///     .When(e => e.Total > 0));
    /// </code>
    /// Register subscriptions in every process that publishes the event (the publisher decides which jobs an event makes);
    /// their jobs must be registered there too (<c>AddJob</c>), as for any enqueue. An event may have several subscriptions.</summary>
    /// <typeparam name="TEvent">The type the event's payload is read as (a JSON body is read strictly into it).</typeparam>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="eventName">The event: 1–64 ASCII letters, digits, '.', '-' and '_', starting with a letter or digit.</param>
    /// <param name="configure">Names the jobs to enqueue and, optionally, a filter.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The event name breaks its rule, or the subscription enqueues no job.</exception>
    public static ITaskRunnerBuilder AddEventSubscription<TEvent>(this ITaskRunnerBuilder builder, string eventName, Action<EventSubscriptionBuilder<TEvent>> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        EventNames.ThrowIfInvalidEventName(eventName, nameof(eventName));
        var subscription = new EventSubscriptionBuilder<TEvent>(eventName);
        configure(subscription);
        builder.Services.AddSingleton(subscription.Build());
        AddEvents(builder.Services);
        return builder;
    }

    private static void AddEvents(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new EventRegistry(sp.GetServices<EventSubscription>(), sp.GetRequiredService<JobRegistry>()));
        services.TryAddSingleton<IEventPublisher>(sp => new EventPublisher(sp.GetRequiredService<EventRegistry>(), sp.GetRequiredService<JobClient>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventSubscriptionCheck>());
    }
}
