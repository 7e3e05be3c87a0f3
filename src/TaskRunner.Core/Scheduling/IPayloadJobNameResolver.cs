namespace TaskRunner;

/// <summary>Finds the job a recurring schedule enqueues when only its payload type is given. The engine replaces the
/// default with one that looks up the job registered for the payload type.</summary>
internal interface IPayloadJobNameResolver
{
    /// <summary>The job name for <paramref name="payloadType"/>.</summary>
    /// <exception cref="InvalidOperationException">No job is registered for the type.</exception>
    string Resolve(Type payloadType);
}
