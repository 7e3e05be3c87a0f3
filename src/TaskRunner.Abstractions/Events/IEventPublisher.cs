using System.Text.Json;

namespace TaskRunner;

/// <summary>Publishes events: each publish stores one job per matching subscription (registered in code with
/// <c>AddEventSubscription</c>) in one atomic store call, idempotently by event id. Resolved from DI; safe to use from
/// any thread.</summary>
/// <remarks>Subscriptions are read in the publishing process: register them (and their jobs) in every process that
/// publishes; the jobs then run wherever a worker serves them, in this process or another sharing the store.</remarks>
public interface IEventPublisher
{
    /// <summary>Publishes <paramref name="payload"/> as the event <paramref name="eventName"/>. Every subscription to the
    /// event whose filter accepts the payload enqueues its jobs, all in one atomic store call. A second publish with the
    /// same <paramref name="eventName"/> and <paramref name="eventId"/> enqueues nothing new (while the first jobs' records
    /// exist): its result lists the existing jobs with <see cref="PublishedJob.Created"/> false.</summary>
    /// <param name="eventName">The event: 1–64 ASCII letters, digits, '.', '-' and '_', starting with a letter or digit (<c>order.paid</c>).</param>
    /// <param name="payload">The event's data, serialized with the runner's JSON options (<c>TaskRunnerOptions.JsonSerializerOptions</c>) when a subscription declares another type.</param>
    /// <param name="eventId">The event's unique id (the idempotency key): 1–64 ASCII letters, digits, '.', '-', '_' and ':'.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The jobs the publish matched, created or already there.</returns>
    /// <exception cref="ArgumentException">The event name or id breaks its rule, or a subscription's job rejects the payload it maps to.</exception>
    /// <exception cref="JsonException">The payload cannot be read as a subscription's event type.</exception>
    ValueTask<EventPublishResult> PublishAsync<TEvent>(string eventName, TEvent payload, string eventId, CancellationToken cancellationToken = default);

    /// <summary>Publishes an event given as UTF-8 JSON (a webhook's body): each subscription reads it as its own event type,
    /// strictly (a missing required member or a null in a non-nullable one is unreadable). Otherwise as
    /// <see cref="PublishAsync{TEvent}"/>.</summary>
    /// <exception cref="ArgumentException">The event name or id breaks its rule, or a subscription's job rejects the payload it maps to.</exception>
    /// <exception cref="JsonException">The JSON is malformed or cannot be read as a subscription's event type.</exception>
    ValueTask<EventPublishResult> PublishJsonAsync(string eventName, ReadOnlyMemory<byte> utf8Json, string eventId, CancellationToken cancellationToken = default);

    /// <summary>Whether any subscription listens to <paramref name="eventName"/> (a publish of another name enqueues nothing).</summary>
    bool HasSubscriptions(string eventName);
}
