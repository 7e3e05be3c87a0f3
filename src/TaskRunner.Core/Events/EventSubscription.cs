namespace TaskRunner;

/// <summary>One job a subscription enqueues: by name or by payload type, with the mapping from the event.</summary>
internal sealed record EventTarget(string? Name, string? JobName, Type PayloadType, Func<object?, object?> Map, JobOptions? Options);

/// <summary>A subscription as registered in code: the event, the type its payload is read as, an optional filter and
/// the jobs it enqueues. Registered in DI as a singleton, gathered by <see cref="EventRegistry"/>.</summary>
internal sealed class EventSubscription(string eventName, Type eventType, IReadOnlyList<EventTarget> targets, Func<object?, bool>? filter)
{
    public string EventName { get; } = eventName;

    public Type EventType { get; } = eventType;

    public IReadOnlyList<EventTarget> Targets { get; } = targets;

    public bool Matches(object? typedEvent) => filter is null || filter(typedEvent);
}
