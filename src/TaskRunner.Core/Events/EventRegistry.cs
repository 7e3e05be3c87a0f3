namespace TaskRunner;

/// <summary>Every event subscription by event name, with each target's job resolved. Built once from the DI
/// registrations; a target naming an unknown job, a job whose payload type does not fit, or two targets of one event
/// with the same name fail here, when the host starts.</summary>
internal sealed class EventRegistry
{
    private readonly Dictionary<string, ResolvedSubscription[]> _byEvent = new(StringComparer.Ordinal);

    public EventRegistry(IEnumerable<EventSubscription> subscriptions, JobRegistry jobs)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        ArgumentNullException.ThrowIfNull(jobs);
        var byEvent = new Dictionary<string, List<ResolvedSubscription>>(StringComparer.Ordinal);
        var names = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var subscription in subscriptions)
        {
            var targets = new List<ResolvedTarget>(subscription.Targets.Count);
            foreach (var target in subscription.Targets)
            {
                var registration = Resolve(subscription.EventName, target, jobs);
                var name = target.Name ?? registration.Name;
                if (EventNames.ValidateSubscriptionName(name) is { } error)
                {
                    throw new InvalidOperationException(
                        $"Event '{subscription.EventName}' enqueues job '{registration.Name}', whose name cannot name the subscription: {error} Pass a name to Enqueue(..., name: \"...\").");
                }

                if (!(names.TryGetValue(subscription.EventName, out var taken) ? taken : names[subscription.EventName] = new(StringComparer.Ordinal)).Add(name))
                {
                    throw new InvalidOperationException(
                        $"Event '{subscription.EventName}' has two subscription targets named '{name}'. Each job an event enqueues needs its own name (its idempotency key): pass a name to Enqueue(..., name: \"...\").");
                }

                targets.Add(new ResolvedTarget(name, registration, target));
            }

            if (!byEvent.TryGetValue(subscription.EventName, out var list))
            {
                byEvent[subscription.EventName] = list = [];
            }

            list.Add(new ResolvedSubscription(subscription, [.. targets]));
        }

        foreach (var (name, list) in byEvent)
        {
            _byEvent[name] = [.. list];
        }
    }

    /// <summary>The subscriptions to <paramref name="eventName"/>, in registration order (empty when none).</summary>
    public IReadOnlyList<ResolvedSubscription> For(string eventName) =>
        _byEvent.TryGetValue(eventName, out var subscriptions) ? subscriptions : [];

    private static JobRegistration Resolve(string eventName, EventTarget target, JobRegistry jobs)
    {
        JobRegistration registration;
        try
        {
            registration = target.JobName is { } name ? jobs.Get(name) : jobs.GetForPayload(target.PayloadType);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"A subscription to event '{eventName}' cannot enqueue its job: {ex.Message}", ex);
        }

        if (!registration.PayloadType.IsAssignableFrom(target.PayloadType) && Nullable.GetUnderlyingType(registration.PayloadType) != target.PayloadType)
        {
            throw new InvalidOperationException(
                $"A subscription to event '{eventName}' maps events to {target.PayloadType.FullName}, but job '{registration.Name}' takes {registration.PayloadType.FullName}.");
        }

        return registration;
    }
}

/// <summary>A subscription with its targets' jobs resolved.</summary>
internal sealed record ResolvedSubscription(EventSubscription Subscription, ResolvedTarget[] Targets);

/// <summary>A target with its name decided and its job found.</summary>
internal sealed record ResolvedTarget(string Name, JobRegistration Job, EventTarget Target);
