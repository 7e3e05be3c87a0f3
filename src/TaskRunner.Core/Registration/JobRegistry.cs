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
                // A job declared without a handler (a shared contracts assembly) and its handler registration agree when
                // the payload types do; the handler's wins, as it can run the job.
                if (existing.PayloadType != registration.PayloadType
                    || (existing.HasHandler && registration.HasHandler && existing.HandlerType != registration.HandlerType))
                {
                    throw new InvalidOperationException(
                        $"Job name '{registration.Name}' is registered twice: for {Describe(existing)} and for {Describe(registration)}. Job names must be unique; pass a name to AddJob.");
                }

                if (!existing.HasHandler && registration.HasHandler)
                {
                    _byName[registration.Name] = registration;
                    Replace(existing, registration);
                }

                continue;
            }

            _byName.Add(registration.Name, registration);

            // A payload type served by two jobs is ambiguous: enqueue by type is refused for it, enqueue by name still works.
            _byPayload[registration.PayloadType] = _byPayload.ContainsKey(registration.PayloadType) ? null : registration;
        }
    }

    private static string Describe(JobRegistration registration) =>
        registration.HandlerType is { } handler
            ? $"{handler.FullName} ({registration.PayloadType.FullName})"
            : $"a declaration taking {registration.PayloadType.FullName}";

    private void Replace(JobRegistration declared, JobRegistration handled)
    {
        if (_byPayload.TryGetValue(declared.PayloadType, out var current) && ReferenceEquals(current, declared))
        {
            _byPayload[declared.PayloadType] = handled;
        }
    }

    public IEnumerable<JobRegistration> All => _byName.Values;

    /// <summary>The job names this process has handlers for, one set for the runner's life: claims pass it as
    /// <see cref="ClaimRequest.JobNames"/>. Jobs declared without a handler are left out, so a worker never claims them.</summary>
    public IReadOnlySet<string> Names => _names ??= new HashSet<string>(_byName.Values.Where(r => r.HasHandler).Select(r => r.Name), StringComparer.Ordinal);

    /// <summary>The registration of a job this process can run (it has the handler).</summary>
    public bool TryGet(string name, out JobRegistration registration) =>
        _byName.TryGetValue(name, out registration!) && registration.HasHandler;

    public JobRegistration Get(string jobName) =>
        _byName.TryGetValue(jobName, out var registration)
            ? registration
            : throw new ArgumentException($"No job is registered under the name '{jobName}'. Register it with AddJob<THandler, TPayload>(\"{jobName}\"), or in a process without the handler with DeclareJob<TPayload>(\"{jobName}\").", nameof(jobName));

    public JobRegistration GetForPayload(Type payloadType)
    {
        if (_byPayload.TryGetValue(payloadType, out var registration))
        {
            return registration ?? throw new ArgumentException(
                $"More than one job takes a payload of type {payloadType.FullName}: enqueue it by job name instead.", nameof(payloadType));
        }

        throw new ArgumentException(
            $"No job is registered for payload type {payloadType.FullName}. Register one with AddJob<THandler, {payloadType.Name}>(), or in a process without the handler with DeclareJob<{payloadType.Name}>(\"job-name\").", nameof(payloadType));
    }
}
