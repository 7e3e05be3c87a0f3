namespace TaskRunner;

/// <summary>All registered jobs, by stable name and by payload type. Built once from the DI registrations.</summary>
internal sealed class JobRegistry
{
    private readonly Dictionary<string, JobRegistration> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, JobRegistration?> _byPayload = [];
    private HashSet<string>? _names;

    public JobRegistry(IEnumerable<JobRegistration> registrations)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (var registration in registrations)
        {
            if (_byName.TryGetValue(registration.Name, out var existing))
            {
                if (existing.HandlerType != registration.HandlerType || existing.PayloadType != registration.PayloadType)
                {
                    throw new InvalidOperationException(
                        $"Job name '{registration.Name}' is registered twice: for {existing.HandlerType.FullName} and for {registration.HandlerType.FullName}. Job names must be unique; pass a name to AddJob.");
                }

                continue;
            }

            _byName.Add(registration.Name, registration);

            // A payload type served by two jobs is ambiguous: enqueue by type is refused for it, enqueue by name still works.
            _byPayload[registration.PayloadType] = _byPayload.ContainsKey(registration.PayloadType) ? null : registration;
        }
    }

    public IEnumerable<JobRegistration> All => _byName.Values;

    /// <summary>The registered job names, one set for the runner's life: claims pass it as <see cref="ClaimRequest.JobNames"/>.</summary>
    public IReadOnlySet<string> Names => _names ??= new HashSet<string>(_byName.Keys, StringComparer.Ordinal);

    public bool TryGet(string name, out JobRegistration registration) => _byName.TryGetValue(name, out registration!);

    public JobRegistration Get(string jobName) =>
        _byName.TryGetValue(jobName, out var registration)
            ? registration
            : throw new ArgumentException($"No job is registered under the name '{jobName}'. Register it with AddJob<THandler, TPayload>(\"{jobName}\").", nameof(jobName));

    public JobRegistration GetForPayload(Type payloadType)
    {
        if (_byPayload.TryGetValue(payloadType, out var registration))
        {
            return registration ?? throw new ArgumentException(
                $"More than one job takes a payload of type {payloadType.FullName}: enqueue it by job name instead.", nameof(payloadType));
        }

        throw new ArgumentException(
            $"No job is registered for payload type {payloadType.FullName}. Register one with AddJob<THandler, {payloadType.Name}>().", nameof(payloadType));
    }
}
