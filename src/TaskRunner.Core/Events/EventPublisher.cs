using System.Text.Json;

namespace TaskRunner;

/// <summary>The <see cref="IEventPublisher"/>: reads the event once per subscribed type, applies each subscription's
/// filter and mapping, and stores every matching job in one <see cref="IJobStore.EnqueueAsync"/> call (atomic by the
/// store contract), each with the idempotency key <c>event:{event}:{id}:{subscription}</c>.</summary>
internal sealed class EventPublisher(EventRegistry registry, JobClient client) : IEventPublisher
{
    public ValueTask<EventPublishResult> PublishAsync<TEvent>(string eventName, TEvent payload, string eventId, CancellationToken cancellationToken = default)
    {
        Check(eventName, eventId);
        return PublishAsync(eventName, eventId, new EventPayload(payload, typeof(TEvent), default), cancellationToken);
    }

    public ValueTask<EventPublishResult> PublishJsonAsync(string eventName, ReadOnlyMemory<byte> utf8Json, string eventId, CancellationToken cancellationToken = default)
    {
        Check(eventName, eventId);

        // Malformed JSON is refused even when no subscription listens or every one would read it lazily.
        using (JsonDocument.Parse(utf8Json))
        {
        }

        return PublishAsync(eventName, eventId, new EventPayload(null, null, utf8Json), cancellationToken);
    }

    public bool HasSubscriptions(string eventName) => registry.For(eventName).Count > 0;

    private static void Check(string eventName, string eventId)
    {
        EventNames.ThrowIfInvalidEventName(eventName, nameof(eventName));
        EventNames.ThrowIfInvalidEventId(eventId, nameof(eventId));
    }

    private async ValueTask<EventPublishResult> PublishAsync(string eventName, string eventId, EventPayload payload, CancellationToken cancellationToken)
    {
        var subscriptions = registry.For(eventName);
        var jobs = new List<NewJob>();
        var published = new List<ResolvedTarget>();
        Dictionary<Type, object?>? read = null;
        foreach (var subscription in subscriptions)
        {
            var typed = payload.As(subscription.Subscription.EventType, client, ref read);
            if (!subscription.Subscription.Matches(typed))
            {
                continue;
            }

            foreach (var target in subscription.Targets)
            {
                var key = EventNames.IdempotencyKey(eventName, eventId, target.Name);
                jobs.Add(client.BuildEventJob(target.Job, target.Target.Map(typed), target.Target.Options, key));
                published.Add(target);
            }
        }

        if (jobs.Count == 0)
        {
            return new EventPublishResult { EventName = eventName, EventId = eventId };
        }

        var results = await client.StoreEventJobsAsync([.. jobs], cancellationToken).ConfigureAwait(false);
        var entries = new PublishedJob[results.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new PublishedJob(published[i].Name, published[i].Job.Name, results[i].Id, results[i].Created);
        }

        return new EventPublishResult { EventName = eventName, EventId = eventId, Jobs = entries };
    }

    /// <summary>The event as given: an object of a known type, or JSON. Read as each subscription's type at most once.</summary>
    private readonly record struct EventPayload(object? Value, Type? ValueType, ReadOnlyMemory<byte> Json)
    {
        public object? As(Type type, JobClient client, ref Dictionary<Type, object?>? read)
        {
            if (ValueType is not null && (type.IsAssignableFrom(ValueType) || (Value is not null && type.IsInstanceOfType(Value))))
            {
                return Value;
            }

            read ??= [];
            if (!read.TryGetValue(type, out var value))
            {
                var json = ValueType is null ? Json : client.SerializeEvent(Value, ValueType);
                read[type] = value = client.ReadEvent(json, type);
            }

            return value;
        }
    }
}
