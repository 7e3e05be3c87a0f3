namespace TaskRunner;

/// <summary>Says what an event subscription enqueues and when: <c>s.Enqueue("send-receipt", e => new Receipt(e.Id)).When(e => e.Total > 0)</c>.</summary>
/// <typeparam name="TEvent">The type the event's payload is read as.</typeparam>
public sealed class EventSubscriptionBuilder<TEvent>
{
    private readonly List<EventTarget> _targets = [];
    private Func<TEvent, bool>? _filter;

    internal EventSubscriptionBuilder(string eventName) => EventName = eventName;

    /// <summary>The event subscribed to.</summary>
    public string EventName { get; }

    /// <summary>Enqueues the job registered under <paramref name="jobName"/> for every matching event, with the payload
    /// <paramref name="map"/> makes from it. Call it more than once to fan an event out to several jobs.</summary>
    /// <param name="jobName">A job registered with <c>AddJob</c> (checked when the host starts).</param>
    /// <param name="map">Makes the job's payload from the event.</param>
    /// <param name="options">Per-job settings (queue, priority, delay...); unset ones come from the job's registration.</param>
    /// <param name="name">The target's name, part of each job's idempotency key (<c>event:{event}:{id}:{name}</c>). Defaults to
    /// <paramref name="jobName"/>; give one when the job name breaks the name rule or one event enqueues the same job twice.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">A name breaks its rule.</exception>
    public EventSubscriptionBuilder<TEvent> Enqueue<TPayload>(string jobName, Func<TEvent, TPayload> map, JobOptions? options = null, string? name = null)
    {
        JobNames.ThrowIfInvalid(jobName, nameof(jobName));
        ArgumentNullException.ThrowIfNull(map);
        ThrowIfInvalidName(name);
        _targets.Add(new EventTarget(name, jobName, typeof(TPayload), e => map((TEvent)e!), options));
        return this;
    }

    /// <summary>Enqueues the job registered for payloads of <typeparamref name="TPayload"/> for every matching event.</summary>
    /// <param name="map">Makes the job's payload from the event.</param>
    /// <param name="options">Per-job settings; unset ones come from the job's registration.</param>
    /// <param name="name">The target's name (see <see cref="Enqueue{TPayload}(string, Func{TEvent, TPayload}, JobOptions?, string?)"/>);
    /// defaults to the job's name.</param>
    /// <returns>This builder.</returns>
    public EventSubscriptionBuilder<TEvent> Enqueue<TPayload>(Func<TEvent, TPayload> map, JobOptions? options = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        ThrowIfInvalidName(name);
        _targets.Add(new EventTarget(name, null, typeof(TPayload), e => map((TEvent)e!), options));
        return this;
    }

    /// <summary>Only events <paramref name="filter"/> accepts enqueue this subscription's jobs; several filters must all accept.</summary>
    /// <returns>This builder.</returns>
    public EventSubscriptionBuilder<TEvent> When(Func<TEvent, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var previous = _filter;
        _filter = previous is null ? filter : e => previous(e) && filter(e);
        return this;
    }

    internal EventSubscription Build() =>
        _targets.Count == 0
            ? throw new ArgumentException($"The subscription to event '{EventName}' enqueues no job: call Enqueue(...) on it.", "configure")
            : new EventSubscription(EventName, typeof(TEvent), [.. _targets], _filter is { } f ? e => f((TEvent)e!) : null);

    private static void ThrowIfInvalidName(string? name)
    {
        if (name is not null && EventNames.ValidateSubscriptionName(name) is { } error)
        {
            throw new ArgumentException(error, nameof(name));
        }
    }
}
